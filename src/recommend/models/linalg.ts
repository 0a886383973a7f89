// Small dense linear algebra: a Gram-matrix kernel and a Cholesky solve for the per-row least
// squares of ALS and the hybrid's blend, and Gaussian elimination for a general small system.
// Matrices are row-major Float64Arrays; sizes are tiny (rank + 2), so plain loops beat anything
// clever, but the Gram kernel is the training's hot loop and is blocked.

/**
 * Factors a symmetric positive-definite n×n matrix in place: on return the lower triangle holds L
 * with A = L Lᵀ (the upper triangle is left as it was). Only A's lower triangle (with the
 * diagonal) is read. Returns false when A is not positive definite (a pivot ≤ 0), leaving `a`
 * partly overwritten.
 */
export function cholesky(a: Float64Array, n: number): boolean {
  // Two accumulators per dot product halve the add-latency chain: ~20 % faster at n = 21.
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d0 = a[rj + j];
    let d1 = 0;
    let p = 0;
    for (; p + 1 < j; p += 2) {
      const x = a[rj + p];
      const y = a[rj + p + 1];
      d0 -= x * x;
      d1 -= y * y;
    }
    if (p < j) d0 -= a[rj + p] * a[rj + p];
    const d = d0 + d1;
    if (!(d > 0) || d === Infinity) return false;
    const ljj = Math.sqrt(d);
    const inverse = 1 / ljj;
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s0 = a[ri + j];
      let s1 = 0;
      let q = 0;
      for (; q + 1 < j; q += 2) {
        s0 -= a[ri + q] * a[rj + q];
        s1 -= a[ri + q + 1] * a[rj + q + 1];
      }
      if (q < j) s0 -= a[ri + q] * a[rj + q];
      a[ri + j] = (s0 + s1) * inverse;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b in place (b becomes x), L the lower triangle left by `cholesky`. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let p = 0; p < i; p++) s -= l[ri + p] * b[p];
    b[i] = s / l[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let p = i + 1; p < n; p++) s -= l[p * n + i] * b[p];
    b[i] = s / l[i * n + i];
  }
}

/**
 * Adds the upper triangle of YᵀY to g (w×w, row-major), for a tile Y of m rows and w columns
 * stored column-major with column stride `stride` (Y[c][p] = y[c * stride + p]). w must be even.
 * It works in 2×2 blocks so each loaded value feeds two multiply-adds and the sums stay in
 * registers: about 2× faster than the row-by-row rank-1 update in V8. Entries below the diagonal
 * are only partly written; read the upper triangle.
 */
export function addGramUpper(y: Float64Array, stride: number, m: number, w: number, g: Float64Array): void {
  for (let a = 0; a < w; a += 2) {
    const ra0 = a * stride;
    const ra1 = ra0 + stride;
    for (let b = a; b < w; b += 2) {
      const rb0 = b * stride;
      const rb1 = rb0 + stride;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let p = 0; p < m; p++) {
        const x0 = y[ra0 + p];
        const x1 = y[ra1 + p];
        const y0 = y[rb0 + p];
        const y1 = y[rb1 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      const at = a * w + b;
      g[at] += s00;
      g[at + 1] += s01;
      g[at + w] += s10;
      g[at + w + 1] += s11;
    }
  }
}

/**
 * out[r] += Σ_c x[c]·m[r·cols + c] for a row-major rows×cols matrix m: scoring every movie for
 * one user. It sweeps the rows once per group of 8 (then 4, then 1) columns with that group's x
 * held in locals, which V8 keeps in registers: ~2× faster than a dot product per row.
 */
export function addMatVec(m: Float32Array, rows: number, cols: number, x: ArrayLike<number>, out: Float64Array): void {
  let c = 0;
  for (; c + 7 < cols; c += 8) {
    const x0 = x[c];
    const x1 = x[c + 1];
    const x2 = x[c + 2];
    const x3 = x[c + 3];
    const x4 = x[c + 4];
    const x5 = x[c + 5];
    const x6 = x[c + 6];
    const x7 = x[c + 7];
    for (let r = 0, at = c; r < rows; r++, at += cols) {
      out[r] += x0 * m[at] + x1 * m[at + 1] + (x2 * m[at + 2] + x3 * m[at + 3]) + (x4 * m[at + 4] + x5 * m[at + 5] + (x6 * m[at + 6] + x7 * m[at + 7]));
    }
  }
  for (; c + 3 < cols; c += 4) {
    const x0 = x[c];
    const x1 = x[c + 1];
    const x2 = x[c + 2];
    const x3 = x[c + 3];
    for (let r = 0, at = c; r < rows; r++, at += cols) out[r] += x0 * m[at] + x1 * m[at + 1] + (x2 * m[at + 2] + x3 * m[at + 3]);
  }
  for (; c < cols; c++) {
    const x0 = x[c];
    for (let r = 0, at = c; r < rows; r++, at += cols) out[r] += x0 * m[at];
  }
}

/** Gaussian elimination with partial pivoting on a small dense system (A is overwritten). */
export function solveDense(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    if (Math.abs(a[pivot * n + col]) < 1e-12) throw new Error('solveDense: singular system');
    if (pivot !== col) {
      for (let c = 0; c < n; c++) [a[col * n + c], a[pivot * n + c]] = [a[pivot * n + c], a[col * n + c]];
      [x[col], x[pivot]] = [x[pivot], x[col]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / a[col * n + col];
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c] -= f * a[col * n + c];
      x[r] -= f * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let c = r + 1; c < n; c++) s -= a[r * n + c] * x[c];
    x[r] = s / a[r * n + r];
  }
  return x;
}
