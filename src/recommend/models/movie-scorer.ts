// The serving hot loop: one user's vector against every movie's factors. Plain JS manages about
// 2 multiply-adds per nanosecond here (~0.25 ms for 27k movies × rank 20); WebAssembly SIMD does
// four lanes at a time, ~5× faster. The module is tiny, so it is assembled below from readable
// opcodes rather than shipped as an opaque binary; where SIMD is missing the JS kernel is used.
// Reading 27k scores back in JS to pick the top n cost twice the SIMD sweep itself, so the kernel
// also writes the best score of each group of 16 movies: a top-n scan skips every group whose best
// cannot enter, and reads ~1/16 of the scores once its threshold has risen.
import { addMatVec } from './linalg.js';
import { assembleModule, compileModule, I32, op, V128, wasmApi, WASM_PAGE, type WasmModule } from './wasm-assembler.js';

/** Movies per SIMD step: four f32x4 accumulators, and one 64-byte cache line per factor. */
const GROUP = 16;

type ScoreFn = (factors: number, lanes: number, out: number, groups: number, rank: number, bias: number, laneMax: number) => void;

/**
 * Dot products of a vector with every row of a row-major factor matrix, in single precision, plus
 * optionally a per-row bias; and the largest result of each group of `MovieScorer.GROUP` rows.
 */
export class MovieScorer {
  /** Rows per group of `groupMax`: row r is in group r >> 4. */
  static readonly GROUP = GROUP;
  /** The results of the last call, one per row (a view, overwritten by the next call). */
  private readonly out: Float32Array;
  /**
   * Four values per group of 16 rows, the largest of which is the group's best result in the last
   * call (a view): group g's are laneMax[4g…4g+3]. A scan skips a group whose four are below its bar.
   */
  readonly laneMax: Float32Array;
  private readonly wasm: { score: ScoreFn; lanes: Float32Array; lanesAt: number; outAt: number; biasAt: number; zerosAt: number; maxAt: number; groups: number } | null;
  private readonly scratch: Float64Array | null;
  private readonly bias: Float32Array | null;

  /** `bias` (one per row), when given, is added to each row's dot product by `scores`. */
  constructor(
    private readonly factors: Float32Array,
    readonly rows: number,
    readonly rank: number,
    bias?: Float32Array,
  ) {
    const groups = Math.ceil(rows / GROUP);
    const module = simdModule();
    if (module === null || wasmApi === undefined || rank < 1) {
      this.wasm = null;
      this.out = new Float32Array(rows);
      this.laneMax = new Float32Array(groups * 4);
      this.scratch = new Float64Array(rows);
      this.bias = bias ?? null;
      return;
    }
    // Memory: the factors interleaved by groups of 16 movies (factor c of movies 16g…16g+15 is
    // one run of 16 floats), the vector splatted to 4 lanes per factor, the output, the bias and
    // an all-zero bias (padding rows −∞ in both, so they never lead a group), the group maxima.
    const factorBytes = groups * rank * GROUP * 4;
    const rowBytes = groups * GROUP * 4;
    const lanesAt = factorBytes;
    const outAt = lanesAt + rank * 16;
    const biasAt = outAt + rowBytes;
    const zerosAt = biasAt + rowBytes;
    const maxAt = zerosAt + rowBytes;
    const memory = new wasmApi.Memory({ initial: Math.max(1, Math.ceil((maxAt + groups * 16) / WASM_PAGE)) });
    const instance = new wasmApi.Instance(module, { env: { memory } });
    const interleaved = new Float32Array(memory.buffer, 0, factorBytes / 4);
    for (let r = 0; r < rows; r++) {
      const base = (r >> 4) * rank * GROUP + (r & (GROUP - 1));
      for (let c = 0; c < rank; c++) interleaved[base + c * GROUP] = factors[r * rank + c];
    }
    const biasView = new Float32Array(memory.buffer, biasAt, groups * GROUP);
    if (bias !== undefined) biasView.set(bias.subarray(0, rows));
    biasView.fill(-Infinity, rows);
    new Float32Array(memory.buffer, zerosAt, groups * GROUP).fill(-Infinity, rows);
    this.wasm = { score: instance.exports.score as ScoreFn, lanes: new Float32Array(memory.buffer, lanesAt, rank * 4), lanesAt, outAt, biasAt, zerosAt, maxAt, groups };
    this.out = new Float32Array(memory.buffer, outAt, rows);
    this.laneMax = new Float32Array(memory.buffer, maxAt, groups * 4);
    this.scratch = null;
    this.bias = null;
  }

  /** Groups of 16 rows (the last may be partial). */
  get groups(): number {
    return this.laneMax.length >> 2;
  }

  /** The best result of group g (rows 16g…16g+15) in the last call. */
  groupMax(g: number): number {
    const l = this.laneMax;
    const at = g << 2;
    return Math.max(l[at], l[at + 1], l[at + 2], l[at + 3]);
  }

  /** True when the SIMD kernel runs (false: the JS fallback). */
  get simd(): boolean {
    return this.wasm !== null;
  }

  /** x·row for every row; the result is a view that the next call overwrites. */
  dots(x: ArrayLike<number>): Float32Array {
    return this.run(x, false);
  }

  /** bias + x·row for every row (the bias given at construction, else 0); a view, as for `dots`. */
  scores(x: ArrayLike<number>): Float32Array {
    return this.run(x, true);
  }

  /**
   * x·row for the rows of groups [from, to) only (rows 16·from up to 16·to), with those groups'
   * maxima in `laneMax`; a row's value is the one `dots` gives it. The result is `dots`'s view:
   * the other rows keep whatever the last call left there.
   */
  dotsOfGroups(x: ArrayLike<number>, from: number, to: number): Float32Array {
    const w = this.wasm;
    if (w !== null) {
      for (let c = 0; c < this.rank; c++) w.lanes.fill(x[c], c * 4, c * 4 + 4);
      const rowBytes = from * GROUP * 4;
      w.score(from * this.rank * GROUP * 4, w.lanesAt, w.outAt + rowBytes, to - from, this.rank, w.zerosAt + rowBytes, w.maxAt + from * 16);
      return this.out;
    }
    const r0 = Math.min(this.rows, from * GROUP);
    const r1 = Math.min(this.rows, to * GROUP);
    const scratch = this.scratch!.subarray(r0, r1);
    scratch.fill(0);
    addMatVec(this.factors.subarray(r0 * this.rank, r1 * this.rank), r1 - r0, this.rank, x, scratch);
    const out = this.out;
    for (let r = r0; r < r1; r++) out[r] = scratch[r - r0];
    this.laneMax.fill(-Infinity, from * 4, to * 4);
    for (let r = r0; r < r1; r++) {
      const at = (r >> 4) * 4 + (r & 3);
      if (out[r] > this.laneMax[at]) this.laneMax[at] = out[r];
    }
    return out;
  }

  private run(x: ArrayLike<number>, withBias: boolean): Float32Array {
    const w = this.wasm;
    if (w !== null) {
      for (let c = 0; c < this.rank; c++) w.lanes.fill(x[c], c * 4, c * 4 + 4);
      w.score(0, w.lanesAt, w.outAt, w.groups, this.rank, withBias ? w.biasAt : w.zerosAt, w.maxAt);
      return this.out;
    }
    const scratch = this.scratch!;
    scratch.fill(0);
    addMatVec(this.factors, this.rows, this.rank, x, scratch);
    const out = this.out;
    const bias = withBias ? this.bias : null;
    for (let r = 0; r < this.rows; r++) out[r] = bias === null ? scratch[r] : bias[r] + scratch[r];
    this.laneMax.fill(-Infinity);
    for (let r = 0; r < this.rows; r++) {
      const at = (r >> 4) * 4 + (r & 3);
      if (out[r] > this.laneMax[at]) this.laneMax[at] = out[r];
    }
    return out;
  }
}

let compiled: WasmModule | null | undefined;

/** The compiled scoring module, or null where WebAssembly SIMD is unavailable. */
function simdModule(): WasmModule | null {
  if (compiled === undefined) compiled = compileModule(assembleScoreModule());
  return compiled;
}

/**
 * `score(factors, lanes, out, groups, rank, bias, laneMax)`, all byte offsets into the imported memory:
 *
 *   for g in 0..groups:                       // 16 movies at a time
 *     acc0..acc3 = bias[16g…16g+15]           // movies 16g+0…3, 4…7, 8…11, 12…15
 *     for c in 0..rank:                       // rank ≥ 1
 *       u = lanes[c]                          // x[c] in four lanes
 *       accN += factors[g][c][4N…4N+3] * u
 *     out[16g…16g+15] = acc0..acc3
 *     laneMax[4g…4g+3] = max(acc0, acc1, acc2, acc3) lane-wise
 */
function assembleScoreModule(): Uint8Array {
  const [FACTORS, LANES, OUT, GROUPS, RANK, BIAS, GMAX, G, C, FP, UP, A0, A1, A2, A3] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const accs = [A0, A1, A2, A3];
  const body = [
    ...op.localGet(FACTORS), ...op.localSet(FP),
    ...op.block, ...op.loop,
    ...op.localGet(G), ...op.localGet(GROUPS), ...op.i32GeU, ...op.brIf(1),
    ...accs.flatMap((a, n) => [...op.localGet(BIAS), ...op.v128Load(16 * n), ...op.localSet(a)]),
    ...op.i32Const(0), ...op.localSet(C),
    ...op.localGet(LANES), ...op.localSet(UP),
    ...op.loop,
    ...accs.flatMap((a, n) => [
      ...op.localGet(a),
      ...op.localGet(FP), ...op.v128Load(16 * n),
      ...op.localGet(UP), ...op.v128Load(0),
      ...op.f32x4Mul, ...op.f32x4Add, ...op.localSet(a),
    ]),
    ...op.localGet(FP), ...op.i32Const(GROUP * 4), ...op.i32Add, ...op.localSet(FP),
    ...op.localGet(UP), ...op.i32Const(16), ...op.i32Add, ...op.localSet(UP),
    ...op.localGet(C), ...op.i32Const(1), ...op.i32Add, ...op.localTee(C), ...op.localGet(RANK), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    ...accs.flatMap((a, n) => [...op.localGet(OUT), ...op.localGet(a), ...op.v128Store(16 * n)]),
    // The group's best, lane-wise (four values; a horizontal max here costs V8 more than the sweep).
    ...op.localGet(GMAX),
    ...op.localGet(A0), ...op.localGet(A1), ...op.f32x4Max,
    ...op.localGet(A2), ...op.localGet(A3), ...op.f32x4Max,
    ...op.f32x4Max, ...op.v128Store(0),
    ...op.localGet(OUT), ...op.i32Const(GROUP * 4), ...op.i32Add, ...op.localSet(OUT),
    ...op.localGet(BIAS), ...op.i32Const(GROUP * 4), ...op.i32Add, ...op.localSet(BIAS),
    ...op.localGet(GMAX), ...op.i32Const(16), ...op.i32Add, ...op.localSet(GMAX),
    ...op.localGet(G), ...op.i32Const(1), ...op.i32Add, ...op.localSet(G),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
  return assembleModule([{ name: 'score', params: [I32, I32, I32, I32, I32, I32, I32], locals: [I32, I32, I32, I32, V128, V128, V128, V128], body }]);
}
