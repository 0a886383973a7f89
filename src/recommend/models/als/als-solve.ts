// One row of ALS: a user's factors and bias against fixed movie factors and biases, or a movie's
// against fixed users. The training workers build the row's Gram matrix in SIMD (single precision
// products, summed in double precision per tile: simd-kernels.ts) and solve it here; the model's
// fold-in builds the same matrix in JS (`solve`), so a fold-in solves the system training would.
//
// Biases are solved inside ALS by augmentation: the unknowns are x = [p, b] and each rating
// contributes the feature z = [q, 1] and target t = r − μ − b_other, so the per-row system is
//   (Σ z zᵀ + n·diag(λ, …, λ, λ_b)) x = Σ t z
// with n the row's rating count (weighted-λ regularisation, Zhou et al. 2008, as in Spark). μ is
// the training mean and stays fixed. A model without biases (Spark's) solves p alone: withBias
// false drops the bias unknown and the row's bias is written as 0.
import { addGramUpper, cholesky, choleskySolve } from '../linalg.js';

/** Ratings per Gram tile: the tile (~24 columns × 128 rows of doubles) stays in L1/L2. */
const TILE = 128;
/** Ratings per SIMD tile of the training workers: 256 rows of rank + 2 floats stay in L1. */
export const ALS_TILE = 256;

/**
 * Where a RowSolver keeps its d×d system (row-major, stride d ≤ rank + 1) and right-hand side, and
 * how it solves them in place (x becomes the solution; false when the system is not positive
 * definite). In JS by default; training's workers pass views of their shared memory and the
 * WebAssembly Cholesky (simd-kernels.ts), the same arithmetic without JS's bounds checks.
 */
export interface SystemSolver {
  system: Float64Array;
  x: Float64Array;
  solve(d: number): boolean;
}

/** The JS solver: linalg.ts's Cholesky. */
export function jsSystemSolver(unknowns: number): SystemSolver {
  const system = new Float64Array(unknowns * unknowns);
  const x = new Float64Array(unknowns);
  return {
    system,
    x,
    solve: (d) => {
      if (!cholesky(system, d)) return false;
      choleskySolve(system, d, x);
      return true;
    },
  };
}

export class RowSolver {
  /** Tile columns: the rank factor columns, then 1 (bias), then t (target), padded to even. */
  private readonly width: number;
  private readonly tile: Float64Array;
  private readonly gram: Float64Array;
  private readonly rhs: Float64Array;
  /** Unknowns: rank, plus one for the bias. */
  private readonly unknowns: number;
  private readonly factor: SystemSolver;

  /** `factor` must hold (rank + 1)² and rank + 1 values. */
  constructor(
    readonly rank: number,
    readonly lambda: number,
    readonly biasLambda: number,
    readonly globalMean: number,
    readonly withBias = true,
    factor?: SystemSolver,
  ) {
    this.unknowns = withBias ? rank + 1 : rank;
    this.width = (rank + 2) % 2 === 0 ? rank + 2 : rank + 3;
    this.tile = new Float64Array(this.width * TILE);
    // The bias column is all ones and the padding column all zeros, for good.
    this.tile.fill(1, rank * TILE, (rank + 1) * TILE);
    this.gram = new Float64Array(this.width * this.width);
    this.rhs = new Float64Array(rank + 1);
    this.factor = factor ?? jsSystemSolver(rank + 1);
    if (this.factor.system.length < (rank + 1) ** 2 || this.factor.x.length < rank + 1) throw new Error(`RowSolver: the system solver's arrays are too small for rank ${rank}`);
  }

  /** The last `solveGram`'s factors, then its bias (0 without biases): a view, overwritten by the next solve. */
  get solution(): Float64Array {
    return this.factor.x;
  }

  /**
   * Solves the row whose ratings are `ratings[start..end)` of the other side's rows `cols[…]`,
   * writing its factors to `outFactors[row·rank …]` and its bias to `outBias[row]` (zeros for a
   * row with no ratings). Returns the row's squared training error with the new values.
   */
  solve(
    cols: Int32Array,
    ratings: Float32Array,
    start: number,
    end: number,
    fixedFactors: Float32Array,
    fixedBias: Float32Array,
    outFactors: Float32Array,
    outBias: Float32Array,
    row: number,
  ): number {
    const k = this.rank;
    const w = this.width;
    const n = end - start;
    const out = row * k;
    if (n <= 0) {
      outFactors.fill(0, out, out + k);
      outBias[row] = 0;
      return 0;
    }
    const { tile, gram } = this;
    gram.fill(0);
    const mu = this.globalMean;
    const tCol = (k + 1) * TILE;
    for (let s = start; s < end; s += TILE) {
      const m = Math.min(TILE, end - s);
      for (let p = 0; p < m; p++) {
        const j = cols[s + p];
        const off = j * k;
        for (let c = 0; c < k; c++) tile[c * TILE + p] = fixedFactors[off + c];
        tile[tCol + p] = ratings[s + p] - mu - fixedBias[j];
      }
      addGramUpper(tile, TILE, m, w, gram);
    }
    const sse = this.solveGram(gram, w, n);
    const x = this.factor.x;
    for (let c = 0; c < k; c++) outFactors[out + c] = x[c];
    outBias[row] = this.withBias ? x[k] : 0;
    return sse;
  }

  /**
   * Solves a row from the upper triangle of its Gram matrix Σ z zᵀ, z = [q (rank), 1, t, padding]
   * (row-major, `width` ≥ rank + 2 columns), for a row of n ratings: training's workers build it
   * in SIMD, `solve` in JS. The factors and bias land in `solution` (rank values, then the bias;
   * all zero when the system has no solution), rounded to float32 as they are stored. Returns the
   * row's squared training error with them (0 when `withError` is false: a pass that reports none).
   */
  solveGram(gram: Float64Array, width: number, n: number, withError = true): number {
    const k = this.rank;
    const d = this.unknowns;
    const w = width;
    const { rhs } = this;
    const { system, x } = this.factor;
    if (n <= 0) {
      x.fill(0);
      return 0;
    }
    // The system's lower triangle (all cholesky reads) from the upper triangle of the Gram matrix,
    // regularised on the diagonal.
    const regFactor = this.lambda * n;
    const regBias = this.biasLambda * n;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) system[j * d + i] = gram[i * w + j];
      system[i * d + i] += i < k ? regFactor : regBias;
      rhs[i] = gram[i * w + k + 1];
      x[i] = rhs[i];
    }
    if (!this.factor.solve(d)) {
      // Only possible with λ = 0 and too few ratings, or non-finite inputs: keep the row at zero.
      x.fill(0);
      return gram[(k + 1) * w + k + 1];
    }
    // Σ(t − zᵀx)² = Σt² − 2xᵀΣtz + xᵀ(Σzzᵀ)x, from the Gram matrix (no second pass over the
    // ratings), with x as stored (rounded to float32).
    for (let c = 0; c < k; c++) x[c] = Math.fround(x[c]);
    x[k] = this.withBias ? Math.fround(x[k]) : 0;
    if (!withError) return 0;
    let quad = 0;
    let lin = 0;
    for (let i = 0; i < d; i++) {
      lin += x[i] * rhs[i];
      let s = gram[i * w + i] * x[i];
      for (let j = i + 1; j < d; j++) s += 2 * gram[i * w + j] * x[j];
      quad += x[i] * s;
    }
    return Math.max(0, gram[(k + 1) * w + k + 1] - 2 * lin + quad);
  }
}
