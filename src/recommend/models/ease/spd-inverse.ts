// The inverse of a dense symmetric positive-definite matrix, as LAPACK's potrf + potri do it:
// Cholesky A = L·Lᵀ, then U = L⁻ᵀ, then A⁻¹ = U·Uᵀ, about n³/2 multiply-adds in all. EASE needs
// the whole inverse of an items × items Gram matrix (thousands square), so every step is written
// as dot products of contiguous row segments (row-major, Float64) done in tiles over 256-wide
// panels: each loaded value feeds several multiply-adds and a panel of 64 rows stays in cache. The
// tiles run in WebAssembly SIMD (dot-tiles.ts, 2×4 rows) where it is available, else in JS (4×4).
import { DotTiles } from './dot-tiles.js';

/** Rows a step works on at once (a multiple of 4). */
const BLOCK = 64;
/** The k range of one panel of dot products: 64 rows × 256 doubles = 128 KB, within L2. */
const PANEL = 256;

/** A is not positive definite: a pivot came out ≤ 0 (or not finite) at `row`. */
export class NotPositiveDefiniteError extends Error {
  override name = 'NotPositiveDefiniteError';
  constructor(readonly row: number) {
    super(`the matrix is not positive definite (pivot ${row} ≤ 0)`);
  }
}

/**
 * Inverts the symmetric positive-definite n×n row-major matrix `a`. Only a's lower triangle is
 * read; `a` is overwritten with the full (symmetric) inverse, which is also returned. Needs one
 * more n×n Float64Array of scratch. Throws NotPositiveDefiniteError when A is not positive definite.
 */
export function invertSpd(a: Float64Array, n: number, onProgress?: (done: number, total: number) => void, options: { simd?: boolean } = {}): Float64Array {
  if (a.length < n * n) throw new RangeError(`invertSpd: ${a.length} values for a ${n}×${n} matrix`);
  const total = 3 * Math.ceil(n / BLOCK);
  let done = 0;
  const step = () => onProgress?.(++done, total);
  // The SIMD tiles read their rows from WebAssembly memory: both matrices live there, a copied in and out.
  const tiles = options.simd === false ? null : DotTiles.create(2 * n * n);
  const work = tiles === null ? a : tiles.view(0, n * n);
  const u = tiles === null ? new Float64Array(n * n) : tiles.view(n * n, n * n);
  if (tiles !== null) work.set(a.subarray(0, n * n));
  choleskyLower(work, n, step, tiles);
  inverseTransposeLower(work, n, u, step, tiles);
  gramOfUpperRows(u, n, work, step, tiles);
  if (tiles !== null) a.set(work);
  return a;
}

/**
 * Cholesky in place, left-looking by blocks of columns: on return a's lower triangle holds L with
 * A = L·Lᵀ; the upper triangle holds scratch.
 */
export function choleskyLower(a: Float64Array, n: number, onBlock?: () => void, tiles: DotTiles | null = null): void {
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(k0 + BLOCK, n);
    // The block column, every row from k0 down, minus what the columns left of it contribute.
    if (k0 > 0) accumulateDots(a, n, 1, a, a, n, k0, n, k0, k1, 0, k0, -1, tiles);
    // The diagonal block, unblocked.
    for (let j = k0; j < k1; j++) {
      const rj = j * n;
      let d = a[rj + j];
      for (let p = k0; p < j; p++) d -= a[rj + p] * a[rj + p];
      if (!(d > 0) || d === Infinity) throw new NotPositiveDefiniteError(j);
      const ljj = Math.sqrt(d);
      a[rj + j] = ljj;
      for (let i = j + 1; i < k1; i++) {
        const ri = i * n;
        let s = a[ri + j];
        for (let p = k0; p < j; p++) s -= a[ri + p] * a[rj + p];
        a[ri + j] = s / ljj;
      }
    }
    // Rows below: each row's segment solved against the block's L (in cache) at once.
    for (let i = k1; i < n; i++) {
      const ri = i * n;
      for (let j = k0; j < k1; j++) {
        const rj = j * n;
        let s = a[ri + j];
        for (let p = k0; p < j; p++) s -= a[ri + p] * a[rj + p];
        a[ri + j] = s / a[rj + j];
      }
    }
    onBlock?.();
  }
}

/**
 * U = L⁻ᵀ for the lower-triangular L in `l` (as choleskyLower leaves it), into the zeroed `u`:
 * row j of U is column j of L⁻¹, non-zero from index j on. Row j solves L·x = e_j by forward
 * substitution; blocks of rows i are done in order, the terms of earlier blocks first as one
 * product of row segments, then the block's own terms.
 */
export function inverseTransposeLower(l: Float64Array, n: number, u: Float64Array, onBlock?: () => void, tiles: DotTiles | null = null): void {
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(i0 + BLOCK, n);
    // u[j][i] += Σ_{k<i0} U[j][k]·L[i][k] for every earlier row j (U[j][k] = 0 for k < j).
    for (let j0 = 0; j0 < i0; j0 += BLOCK) accumulateDots(u, n, 1, u, l, n, j0, j0 + BLOCK, i0, i1, j0, i0, 1, tiles);
    for (let j = 0; j < i1; j++) {
      const rj = j * n;
      for (let i = Math.max(i0, j); i < i1; i++) {
        const ri = i * n;
        if (i === j) {
          u[rj + j] = 1 / l[ri + i];
          continue;
        }
        let s = u[rj + i];
        for (let k = Math.max(i0, j); k < i; k++) s += l[ri + k] * u[rj + k];
        u[rj + i] = -s / l[ri + i];
      }
    }
    onBlock?.();
  }
}

/**
 * out = U·Uᵀ (full, symmetric) for U upper-triangular by rows (zero left of the diagonal): out's
 * upper blocks as products of row segments from the later block's start, then mirrored.
 */
export function gramOfUpperRows(u: Float64Array, n: number, out: Float64Array, onBlock?: () => void, tiles: DotTiles | null = null): void {
  out.fill(0, 0, n * n);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(i0 + BLOCK, n);
    for (let j0 = i0; j0 < n; j0 += BLOCK) accumulateDots(out, n, 1, u, u, n, i0, i1, j0, Math.min(j0 + BLOCK, n), j0, n, 1, tiles);
    onBlock?.();
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j];
}

/**
 * c[r·cRow + s·cCol] += sign · Σ_{k∈[k0,k1)} x[r·n + k]·y[s·n + k] for r ∈ [r0, r1), s ∈ [s0, s1):
 * the one kernel every step above runs. Panels of PANEL columns, the s rows in groups of BLOCK
 * (their panel stays in cache while the r rows stream past), tiles inside: 2×4 in SIMD when
 * `tiles` is given (x and y must then be views of its memory), else 4×4 in JS.
 */
export function accumulateDots(
  c: Float64Array,
  cRow: number,
  cCol: number,
  x: Float64Array,
  y: Float64Array,
  n: number,
  r0: number,
  r1: number,
  s0: number,
  s1: number,
  k0: number,
  k1: number,
  sign: number,
  tiles: DotTiles | null = null,
): void {
  for (let p0 = k0; p0 < k1; p0 += PANEL) {
    const p1 = Math.min(p0 + PANEL, k1);
    for (let sb = s0; sb < s1; sb += BLOCK) {
      const sb1 = Math.min(sb + BLOCK, s1);
      if (tiles !== null) {
        simdPanel(tiles, c, cRow, cCol, x, y, n, r0, r1, sb, sb1, p0, p1, sign);
        continue;
      }
      for (let r = r0; r < r1; r += 4) {
        for (let s = sb; s < sb1; s += 4) {
          if (r + 4 <= r1 && s + 4 <= sb1) tile4(c, cRow, cCol, x, y, n, r, s, p0, p1, sign);
          else edge(c, cRow, cCol, x, y, n, r, Math.min(r + 4, r1), s, Math.min(s + 4, sb1), p0, p1, sign);
        }
      }
    }
  }
}

/** One panel of accumulateDots in 2×4 SIMD tiles; an odd last column and the edges in JS. */
function simdPanel(tiles: DotTiles, c: Float64Array, cRow: number, cCol: number, x: Float64Array, y: Float64Array, n: number, r0: number, r1: number, s0: number, s1: number, p0: number, p1: number, sign: number): void {
  const even = (p1 - p0) & ~1;
  const odd = p0 + even < p1;
  const out = tiles.out;
  const stride = n * 8;
  for (let r = r0; r < r1; r += 2) {
    for (let s = s0; s < s1; s += 4) {
      if (r + 2 > r1 || s + 4 > s1) {
        edge(c, cRow, cCol, x, y, n, r, Math.min(r + 2, r1), s, Math.min(s + 4, s1), p0, p1, sign);
        continue;
      }
      tiles.tile(x.byteOffset + (r * n + p0) * 8, y.byteOffset + (s * n + p0) * 8, stride, even);
      for (let i = 0; i < 2; i++) {
        const xi = (r + i) * n;
        const at = (r + i) * cRow + s * cCol;
        for (let j = 0; j < 4; j++) {
          let sum = out[i * 4 + j];
          if (odd) sum += x[xi + p1 - 1] * y[(s + j) * n + p1 - 1];
          c[at + j * cCol] += sign * sum;
        }
      }
    }
  }
}

function tile4(c: Float64Array, cRow: number, cCol: number, x: Float64Array, y: Float64Array, n: number, r: number, s: number, p0: number, p1: number, sign: number): void {
  const a0 = r * n;
  const a1 = a0 + n;
  const a2 = a1 + n;
  const a3 = a2 + n;
  const b0 = s * n;
  const b1 = b0 + n;
  const b2 = b1 + n;
  const b3 = b2 + n;
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
  let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
  let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let k = p0; k < p1; k++) {
    const y0 = y[b0 + k];
    const y1 = y[b1 + k];
    const y2 = y[b2 + k];
    const y3 = y[b3 + k];
    let v = x[a0 + k];
    s00 += v * y0;
    s01 += v * y1;
    s02 += v * y2;
    s03 += v * y3;
    v = x[a1 + k];
    s10 += v * y0;
    s11 += v * y1;
    s12 += v * y2;
    s13 += v * y3;
    v = x[a2 + k];
    s20 += v * y0;
    s21 += v * y1;
    s22 += v * y2;
    s23 += v * y3;
    v = x[a3 + k];
    s30 += v * y0;
    s31 += v * y1;
    s32 += v * y2;
    s33 += v * y3;
  }
  let at = r * cRow + s * cCol;
  c[at] += sign * s00;
  c[at + cCol] += sign * s01;
  c[at + 2 * cCol] += sign * s02;
  c[at + 3 * cCol] += sign * s03;
  at += cRow;
  c[at] += sign * s10;
  c[at + cCol] += sign * s11;
  c[at + 2 * cCol] += sign * s12;
  c[at + 3 * cCol] += sign * s13;
  at += cRow;
  c[at] += sign * s20;
  c[at + cCol] += sign * s21;
  c[at + 2 * cCol] += sign * s22;
  c[at + 3 * cCol] += sign * s23;
  at += cRow;
  c[at] += sign * s30;
  c[at + cCol] += sign * s31;
  c[at + 2 * cCol] += sign * s32;
  c[at + 3 * cCol] += sign * s33;
}

/** A partial tile at the matrix's edge: one dot product per pair. */
function edge(c: Float64Array, cRow: number, cCol: number, x: Float64Array, y: Float64Array, n: number, r0: number, r1: number, s0: number, s1: number, p0: number, p1: number, sign: number): void {
  for (let r = r0; r < r1; r++) {
    for (let s = s0; s < s1; s++) {
      let sum = 0;
      for (let k = p0; k < p1; k++) sum += x[r * n + k] * y[s * n + k];
      c[r * cRow + s * cCol] += sign * sum;
    }
  }
}
