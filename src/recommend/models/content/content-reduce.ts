// The content model's reduced space: a truncated SVD of the movies' content vectors, so that a
// profile is scored against every movie with `dims` multiply-adds a movie instead of ~1,100 (the
// genome) plus the sparse metadata. The movies' coordinates are their projections on the top
// right singular vectors, A·V_k, renormalised to unit length, so a dot product is again a cosine.
// The SVD is the randomized one of Halko, Martinsson & Tropp (2011): a seeded Gaussian sketch,
// a few power iterations, then the small eigenproblem — all hand-written here, because the
// sizes are modest (the matrix is never formed: products go through the blocks as stored) and
// the result must be the same on every machine for a seed. When `dims` reaches the rank of the
// vectors (a small catalogue, genres and years alone) the reduced cosines equal the full ones.
import { Random } from '../../../util/random.js';
import type { ContentVectors } from './content-vectors.js';

export interface ReducedVectors {
  /** Dimensions kept: the requested ones, or fewer when the vectors span fewer. */
  dims: number;
  /** Row-major movies × dims, each row of unit length (all zero when nothing of it was kept). */
  vectors: Float32Array;
  /** The share of the vectors' squared length the kept directions hold, before renormalising (1 = exact). */
  energy: number;
}

/** Extra sketch columns beyond `dims`: they make the top `dims` directions accurate. */
const OVERSAMPLE = 16;
/** Power iterations: each sharpens the sketch toward the leading directions. */
const POWER_ITERATIONS = 2;
/** Directions whose squared singular value is below this share of the largest are dropped. */
const RANK_TOLERANCE = 1e-10;

/** Reduces the vectors to their leading `dims` directions (dims >= 1), deterministically for a seed. */
export function reduceContentVectors(v: ContentVectors, dims: number, seed: number): ReducedVectors {
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`content: dims must be an integer >= 1, got ${dims}`);
  const a = new BlockMatrix(v);
  const width = Math.min(dims + OVERSAMPLE, a.rows, a.cols);
  if (width === 0) return { dims: 0, vectors: new Float32Array(0), energy: 1 };
  // Sketch: Y = A·Ω, then (AᵀA)^q Y, orthonormalised along the way so it stays well conditioned.
  const random = new Random(seed);
  const omega = new Float64Array(a.cols * width);
  for (let i = 0; i < omega.length; i++) omega[i] = random.normal();
  let q = orthonormalise(a.times(omega, width), a.rows, width);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    const z = orthonormalise(a.transposeTimes(q, width), a.cols, width);
    q = orthonormalise(a.times(z, width), a.rows, width);
  }
  // B = QᵀA (kept transposed, cols × width); B Bᵀ = U Λ Uᵀ gives the right singular vectors
  // V = Bᵀ U Λ^(-1/2) of the sketch's range, largest first.
  const bt = a.transposeTimes(q, width);
  const { values, vectors: u } = symmetricEigen(gram(bt, a.cols, width), width);
  const top = values[0] ?? 0;
  let k = 0;
  while (k < Math.min(dims, width) && values[k] > top * RANK_TOLERANCE && values[k] > 0) k++;
  if (k === 0) return { dims: 0, vectors: new Float32Array(0), energy: a.rows === 0 ? 1 : 0 };
  const basis = new Float64Array(a.cols * k);
  for (let d = 0; d < a.cols; d++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < width; i++) s += bt[d * width + i] * u[i * width + j];
      basis[d * k + j] = s / Math.sqrt(values[j]);
    }
  }
  const coords = a.times(basis, k);
  const out = new Float32Array(a.rows * k);
  let kept = 0;
  for (let m = 0; m < a.rows; m++) {
    let norm = 0;
    for (let j = 0; j < k; j++) norm += coords[m * k + j] ** 2;
    kept += norm;
    if (!(norm > 1e-24)) continue;
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < k; j++) out[m * k + j] = coords[m * k + j] * scale;
  }
  const total = a.squaredLength();
  return { dims: k, vectors: out, energy: total > 0 ? Math.min(1, kept / total) : 1 };
}

/**
 * The movies × (genome tags + metadata features) matrix as the content vectors store it: dense
 * genome rows for some movies, a sparse metadata row for each. Products take a row-major
 * right-hand side of `w` columns and return a new row-major result.
 */
class BlockMatrix {
  readonly rows: number;
  readonly cols: number;
  private readonly T: number;

  constructor(private readonly v: ContentVectors) {
    this.rows = v.movieIds.length;
    this.T = v.genomeDim;
    this.cols = v.genomeDim + v.featureNames.length;
  }

  /** A·X for X cols × w. */
  times(x: Float64Array, w: number): Float64Array {
    const { v, T } = this;
    const out = new Float64Array(this.rows * w);
    const acc = new Float64Array(w);
    for (let m = 0; m < this.rows; m++) {
      acc.fill(0);
      const r = v.genomeRow[m];
      if (r >= 0) {
        for (let t = 0, base = r * T; t < T; t++) {
          const value = v.genome[base + t];
          if (value !== 0) axpy(value, x, t * w, acc, 0, w);
        }
      }
      for (let p = v.metaPtr[m]; p < v.metaPtr[m + 1]; p++) axpy(v.metaVal[p], x, (T + v.metaIdx[p]) * w, acc, 0, w);
      out.set(acc, m * w);
    }
    return out;
  }

  /** Aᵀ·Y for Y rows × w. */
  transposeTimes(y: Float64Array, w: number): Float64Array {
    const { v, T } = this;
    const out = new Float64Array(this.cols * w);
    for (let m = 0; m < this.rows; m++) {
      const at = m * w;
      const r = v.genomeRow[m];
      if (r >= 0) {
        for (let t = 0, base = r * T; t < T; t++) {
          const value = v.genome[base + t];
          if (value !== 0) axpy(value, y, at, out, t * w, w);
        }
      }
      for (let p = v.metaPtr[m]; p < v.metaPtr[m + 1]; p++) axpy(v.metaVal[p], y, at, out, (T + v.metaIdx[p]) * w, w);
    }
    return out;
  }

  /** Σ of the rows' squared lengths (the number of movies, when every vector is unit). */
  squaredLength(): number {
    let s = 0;
    for (let k = 0; k < this.v.genome.length; k++) s += this.v.genome[k] ** 2;
    for (let k = 0; k < this.v.metaVal.length; k++) s += this.v.metaVal[k] ** 2;
    return s;
  }
}

/** out[o..o+w) += a · x[i..i+w). */
function axpy(a: number, x: Float64Array, i: number, out: Float64Array, o: number, w: number): void {
  let j = 0;
  for (; j + 3 < w; j += 4) {
    out[o + j] += a * x[i + j];
    out[o + j + 1] += a * x[i + j + 1];
    out[o + j + 2] += a * x[i + j + 2];
    out[o + j + 3] += a * x[i + j + 3];
  }
  for (; j < w; j++) out[o + j] += a * x[i + j];
}

/** YᵀY (w × w) of a row-major rows × w matrix. */
function gram(y: Float64Array, rows: number, w: number): Float64Array {
  const g = new Float64Array(w * w);
  for (let r = 0; r < rows; r++) {
    const at = r * w;
    for (let i = 0; i < w; i++) {
      const yi = y[at + i];
      if (yi !== 0) axpy(yi, y, at + i, g, i * w + i, w - i);
    }
  }
  for (let i = 0; i < w; i++) for (let j = 0; j < i; j++) g[i * w + j] = g[j * w + i];
  return g;
}

/**
 * An orthonormal basis of the columns of Y (rows × w, row-major), as Y·U·Λ^(-1/2) from the
 * eigenvectors of YᵀY, twice (the second pass mops up the rounding of the first). Columns beyond
 * Y's rank come out zero, which the callers carry harmlessly.
 */
function orthonormalise(y: Float64Array, rows: number, w: number): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    const { values, vectors: u } = symmetricEigen(gram(y, rows, w), w);
    const top = values[0] ?? 0;
    const transform = new Float64Array(w * w);
    for (let j = 0; j < w; j++) {
      if (!(values[j] > top * RANK_TOLERANCE && values[j] > 0)) continue;
      const scale = 1 / Math.sqrt(values[j]);
      for (let i = 0; i < w; i++) transform[i * w + j] = u[i * w + j] * scale;
    }
    const out = new Float64Array(rows * w);
    for (let r = 0; r < rows; r++) {
      const at = r * w;
      for (let i = 0; i < w; i++) {
        const yi = y[at + i];
        if (yi !== 0) axpy(yi, transform, i * w, out, at, w);
      }
    }
    y = out;
  }
  return y;
}

/**
 * Eigenvalues (descending) and eigenvectors (columns of a row-major n × n matrix) of a symmetric
 * matrix, by cyclic Jacobi rotations: simple, accurate and deterministic at the sizes used here.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // The rotation that zeroes a[p][q] (Golub & Van Loan, the symmetric Schur decomposition).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x] || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    values[to] = a[from * n + from];
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from];
  });
  return { values, vectors };
}
