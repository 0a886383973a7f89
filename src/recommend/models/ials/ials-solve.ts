// The exact solve of one implicit-ALS row in double precision: the model's fold-in of a user's
// history, and the reference the training's conjugate-gradient steps are tested against. For a
// row whose interactions are the other side's rows y_j with confidence weights w_j (c = 1 + w):
//   (YᵀY + λI + Σ w_j y_j y_jᵀ) x = Σ (1 + w_j) y_j
// YᵀY, over EVERY row of the other side (the zero-preference pairs), is computed once per model.
import { addGramUpper, cholesky, choleskySolve } from '../linalg.js';

/** Rows per Gram tile (column-major, ≤ 64 columns of doubles: 64 KB). */
const TILE = 128;

/** YᵀY + λI (rank × rank, whole, row-major) of a row-major matrix of `rows` rows of `rank` floats. */
export function regularisedGram(factors: Float32Array, rows: number, rank: number, lambda: number): Float64Array {
  const w = rank + (rank % 2);
  const tile = new Float64Array(w * TILE);
  const upper = new Float64Array(w * w);
  for (let s = 0; s < rows; s += TILE) {
    const m = Math.min(TILE, rows - s);
    for (let p = 0; p < m; p++) for (let c = 0; c < rank; c++) tile[c * TILE + p] = factors[(s + p) * rank + c];
    addGramUpper(tile, TILE, m, w, upper);
  }
  const g = new Float64Array(rank * rank);
  for (let i = 0; i < rank; i++) {
    for (let j = i; j < rank; j++) {
      g[i * rank + j] = upper[i * w + j];
      g[j * rank + i] = upper[i * w + j];
    }
    g[i * rank + i] += lambda;
  }
  return g;
}

export class IalsRowSolver {
  private readonly w: number;
  private readonly tile: Float64Array;
  private readonly upper: Float64Array;
  private readonly system: Float64Array;
  private readonly x: Float64Array;

  /** `gram` is YᵀY + λI of the fixed side (regularisedGram). */
  constructor(
    readonly rank: number,
    private readonly gram: Float64Array,
  ) {
    this.w = rank + (rank % 2);
    this.tile = new Float64Array(this.w * TILE);
    this.upper = new Float64Array(this.w * this.w);
    this.system = new Float64Array(rank * rank);
    this.x = new Float64Array(rank);
  }

  /**
   * The row's factors for interactions with the fixed rows `cols[0..n)` (dense indices into
   * `fixed`, row-major `rank` floats) of weights `weights[0..n)`, or null when the system cannot
   * be solved (non-finite input). n = 0 gives the zero vector.
   */
  solve(cols: Int32Array, weights: ArrayLike<number>, n: number, fixed: Float32Array): Float64Array | null {
    const k = this.rank;
    const { w, tile, upper, system, x } = this;
    upper.fill(0);
    x.fill(0);
    for (let s = 0; s < n; s += TILE) {
      const m = Math.min(TILE, n - s);
      for (let p = 0; p < m; p++) {
        const weight = weights[s + p];
        const root = Math.sqrt(weight);
        const off = cols[s + p] * k;
        for (let c = 0; c < k; c++) {
          const y = fixed[off + c];
          tile[c * TILE + p] = root * y;
          x[c] += (1 + weight) * y;
        }
      }
      addGramUpper(tile, TILE, m, w, upper);
    }
    for (let i = 0; i < k; i++) {
      for (let j = i; j < k; j++) {
        const v = this.gram[i * k + j] + upper[i * w + j];
        system[i * k + j] = v;
        system[j * k + i] = v;
      }
    }
    if (!cholesky(system, k)) return null;
    choleskySolve(system, k, x);
    return x;
  }
}
