// One implicit-ALS row by conjugate gradient, warm-started from the row's current factors
// (Takács, Pilászy & Tikk 2011; benfred/implicit's `least_squares_cg`): a few steps get close to
// the exact solve at a fraction of its cost, as each step is two passes over the row's
// interactions (2·rank multiply-adds each) instead of the exact solve's rank² per interaction.
// Every step runs in the SIMD kernels over the shared memory (the passes over interactions, the
// dense product, the vector updates); JS only sequences them. Single precision, as
// benfred/implicit's.
import { ACCUMULATE_TILE, type FactorKernels } from '../simd-kernels.js';

/** Below this squared residual norm a row is solved: no step can improve it in single precision. */
const DONE = 1e-20;
/**
 * Rows with at least this many interactions are first gathered into a contiguous buffer: their
 * other-side rows (256 B each at rank 64) no longer fit in L1 between passes, and four sweeps
 * through a contiguous copy (which the hardware prefetches) cost less than four rounds of
 * scattered reads. On the 20M-sized set the threshold mattered little between 128 and 1024.
 */
export const GATHER_MIN = 256;

/** Where one side's system lives in the shared memory (byte offsets). */
export interface CgSide {
  /** The interactions of the rows being solved: column indices (i32) and confidence weights w (f32). */
  colsAt: number;
  weightsAt: number;
  /** The fixed side's factor rows. */
  fixedAt: number;
  /** The rows being solved, whose current values are the warm start. */
  outAt: number;
  /** YᵀY + λI of the fixed side, kp × kp, whole. */
  gramAt: number;
}

/** Floats of shared memory a solver uses for itself (r, p, Ap and the kernels' coefficients). */
export function cgScratchFloats(kp: number): number {
  return 3 * kp + ACCUMULATE_TILE;
}

export class CgRowSolver {
  private readonly kpBytes: number;
  private readonly rAt: number;
  private readonly pAt: number;
  private readonly apAt: number;
  private readonly coefAt: number;

  /**
   * `scratchAt`: cgScratchFloats(kp) floats of the shared memory this solver alone uses; `buffer`:
   * room for `rows` rows of kp floats it alone uses, where rows of up to that many interactions are
   * gathered (none: never).
   */
  constructor(
    private readonly kernels: FactorKernels,
    readonly kp: number,
    scratchAt: number,
    private readonly buffer: { at: number; rows: number } = { at: 0, rows: 0 },
  ) {
    this.kpBytes = kp * 4;
    this.rAt = scratchAt;
    this.pAt = scratchAt + this.kpBytes;
    this.apAt = scratchAt + 2 * this.kpBytes;
    this.coefAt = scratchAt + 3 * this.kpBytes;
  }

  /** Improves row `row` (interactions start..end of the side's arrays) by up to `steps` CG steps. */
  solve(side: CgSide, row: number, start: number, end: number, steps: number): void {
    const { kernels, kpBytes, rAt, pAt, apAt } = this;
    const xAt = side.outAt + row * kpBytes;
    const n = end - start;
    const gathered = n >= GATHER_MIN && n <= this.buffer.rows;
    if (gathered) kernels.gatherRows(side.colsAt, start, n, side.fixedAt, kpBytes, this.buffer.at);
    // r = b − A x = Σ (1 + w − w (y·x)) y − (YᵀY + λI) x, built negated: (YᵀY + λI) x − Σ (…) y.
    kernels.symv(side.gramAt, xAt, rAt, kpBytes);
    this.accumulate(side, start, n, gathered, xAt, rAt, -1, -1, 1);
    let rsOld = kernels.cgStart(rAt, pAt, kpBytes);
    if (rsOld < DONE) return;
    for (let step = 0; step < steps; step++) {
      // Ap = (YᵀY + λI) p + Σ w (y·p) y
      kernels.symv(side.gramAt, pAt, apAt, kpBytes);
      this.accumulate(side, start, n, gathered, pAt, apAt, 0, 0, 1);
      const pAp = kernels.dot(pAt, apAt, kpBytes);
      if (!(pAp > 0)) return;
      const rsNew = kernels.cgUpdate(xAt, pAt, rAt, apAt, rsOld / pAp, kpBytes);
      if (rsNew < DONE) return;
      kernels.cgDirection(pAt, rAt, rsNew / rsOld, kpBytes);
      rsOld = rsNew;
    }
  }

  /** out += Σ (c0 + w (c1 + c2 (y·v))) y over the row's interactions, gathered or read in place. */
  private accumulate(side: CgSide, start: number, n: number, gathered: boolean, vAt: number, outAt: number, c0: number, c1: number, c2: number): void {
    if (gathered) this.kernels.accumulateDense(0, side.weightsAt + 4 * start, 0, n, this.buffer.at, this.kpBytes, vAt, outAt, this.coefAt, c0, c1, c2);
    else this.kernels.accumulate(side.colsAt, side.weightsAt, start, start + n, side.fixedAt, this.kpBytes, vAt, outAt, this.coefAt, c0, c1, c2);
  }
}
