/**
 * The quantile definition shared by exactQuantiles and sketchQuantiles: DuckDB's `quantile_disc`,
 * so that a figure computed live equals (or, for the sketch, approximates) the one batch analytics
 * computes over the same rows in DuckDB.
 *
 * quantile_disc(x, q) over n sorted values x[0..n-1] returns x[i] with
 *     i = max(1, n − floor(n − n·q)) − 1  =  max(1, ceil(n·q)) − 1
 * (DuckDB's Interpolator<true>::Index), i.e. the nearest-rank definition: the smallest value with
 * at least a fraction q of the values at or below it. DuckDB evaluates this in exact decimal
 * arithmetic for a literal such as 0.95 (a DECIMAL), so we do the same with the shortest decimal
 * that round-trips q (0.07 is 7/100, not the double 0.07000000000000000666…): for n = 100 a
 * floating-point ceil(100 × 0.07) would give 8 rather than 7.
 */

export interface QuantileSpec {
  readonly q: number;
  /** Result key: `p${q × 100}`, e.g. p50, p95, p99, p99.9. */
  readonly key: string;
}

interface CompiledQuantile extends QuantileSpec {
  readonly num: number;
  readonly den: number;
  readonly bigNum: bigint;
  readonly bigDen: bigint;
}

/** `p${q × 100}` without floating-point noise: 0.07 → "p7", 0.999 → "p99.9". */
export function quantileKey(q: number): string {
  return `p${Number((q * 100).toPrecision(12))}`;
}

/** 0-based index into the n sorted values that quantile_disc(x, q) returns; n ≥ 1. */
export function quantileDiscIndex(n: number, q: number): number {
  return indexOf(compile(q), n);
}

/** Validates and prepares a list of quantiles (each in [0, 1], distinct keys). */
export function compileQuantiles(quantiles: readonly number[], what: string): readonly CompiledQuantile[] {
  if (quantiles.length === 0) throw new Error(`${what}: at least one quantile is required`);
  const seen = new Set<string>();
  return quantiles.map((q) => {
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
      throw new Error(`${what}: quantile ${String(q)} is not a number in [0, 1]`);
    }
    const c = compile(q);
    if (seen.has(c.key)) throw new Error(`${what}: quantile ${q} is listed twice`);
    seen.add(c.key);
    return c;
  });
}

/** 0-based index for a compiled quantile over n ≥ 1 values. */
export function indexOf(c: CompiledQuantile, n: number): number {
  let rank: number; // ceil(n·q), exactly
  const product = n * c.num;
  if (Number.isSafeInteger(product)) {
    const rem = product % c.den;
    rank = (product - rem) / c.den + (rem === 0 ? 0 : 1);
  } else {
    const p = BigInt(n) * c.bigNum;
    const r = p % c.bigDen;
    rank = Number(p / c.bigDen) + (r === 0n ? 0 : 1);
  }
  return (rank < 1 ? 1 : rank) - 1;
}

function compile(q: number): CompiledQuantile {
  // The shortest decimal that round-trips q, as an exact fraction num / 10^scale.
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(String(q));
  if (m === null) throw new Error(`quantile ${q} cannot be read as a decimal`);
  const digits = (m[1] ?? '') + (m[2] ?? '');
  const scale = (m[2]?.length ?? 0) - Number(m[3] ?? 0);
  let bigNum = BigInt(digits);
  let bigDen = 1n;
  if (scale > 0) bigDen = 10n ** BigInt(scale);
  else bigNum *= 10n ** BigInt(-scale);
  const num = Number(bigNum);
  const den = Number(bigDen);
  // The number path needs num and den exact; otherwise force the BigInt path.
  const exact = Number.isSafeInteger(num) && Number.isSafeInteger(den);
  return { q, key: quantileKey(q), num: exact ? num : Infinity, den, bigNum, bigDen };
}
