// Deterministic train/test splits of a ratings table, as row indices into its columns. Pure and
// typed-array only (no per-row objects): a 20M-row split costs a few arrays of n int32s.
// Every split returns both sides in ascending row order, disjoint and together covering every row.
import { Random } from '../../util/random.js';
import { IdIndex } from '../data/interactions.js';
import type { RatingColumns } from '../data/ratings-parse.js';

export interface Split {
  train: Int32Array;
  test: Int32Array;
}

export interface RandomSplitOptions {
  /** The share of rows held out (default 0.2). */
  testFraction?: number;
  seed: number;
}

export interface KFoldOptions {
  k: number;
  seed: number;
}

export interface StratifiedSplitOptions {
  /** The share of each user's ratings held out (default 0.25). */
  testFraction?: number;
  seed: number;
}

/** round(n × testFraction) rows chosen uniformly at random (partial Fisher–Yates) go to test. */
export function randomSplit(columns: RatingColumns, options: RandomSplitOptions): Split {
  const fraction = checkFraction(options.testFraction ?? 0.2);
  const n = rowCount(columns);
  const nTest = Math.round(n * fraction);
  const perm = identity(n);
  const random = new Random(options.seed);
  for (let i = 0; i < nTest; i++) swap(perm, i, i + randomBelow(random, n - i));
  const inTest = new Uint8Array(n);
  for (let i = 0; i < nTest; i++) inTest[perm[i]] = 1;
  return partition(inTest, 1);
}

/**
 * k folds of a random permutation: fold f holds test rows of split f, the other folds its train.
 * Fold sizes differ by at most one. Returns all k splits at once (k × n row indices); a caller
 * short of memory can use `kFoldAssignment` and `kFoldSplit` to make one at a time.
 */
export function kFold(columns: RatingColumns, options: KFoldOptions): Split[] {
  const fold = kFoldAssignment(columns, options);
  return Array.from({ length: options.k }, (_, f) => kFoldSplit(fold, f));
}

/** The fold (0..k-1) of every row. */
export function kFoldAssignment(columns: RatingColumns, options: KFoldOptions): Uint8Array {
  const n = rowCount(columns);
  const { k } = options;
  if (!Number.isInteger(k) || k < 2 || k > 255) throw new RangeError(`k-fold: k must be a whole number from 2 to 255, got ${k}`);
  if (k > n) throw new RangeError(`k-fold: k = ${k} is more than the ${n} ratings`);
  const perm = identity(n);
  const random = new Random(options.seed);
  for (let i = n - 1; i > 0; i--) swap(perm, i, randomBelow(random, i + 1));
  const fold = new Uint8Array(n);
  for (let i = 0; i < n; i++) fold[perm[i]] = i % k;
  return fold;
}

/** Split number `f` of a fold assignment: fold f is the test side. */
export function kFoldSplit(fold: Uint8Array, f: number): Split {
  return partition(fold, f);
}

/**
 * Per user, round(count × testFraction) of their ratings (chosen at random) go to test, capped so
 * at least one stays in train: a user with one rating is train only. Users are visited in id
 * order, so the split depends only on the data and the seed. With `rows`, only those rows are
 * split (e.g. a validation split carved from a training side); both sides are subsets of them.
 */
export function stratifiedSplit(columns: RatingColumns, options: StratifiedSplitOptions & { rows?: Int32Array }): Split {
  const fraction = checkFraction(options.testFraction ?? 0.25);
  const n = rowCount(columns);
  const { ptr, rows } = rowsByUser(columns, options.rows);
  const random = new Random(options.seed);
  const inTest = new Uint8Array(n);
  for (let u = 0; u + 1 < ptr.length; u++) {
    const start = ptr[u];
    const count = ptr[u + 1] - start;
    const nTest = Math.min(Math.round(count * fraction), count - 1);
    for (let i = 0; i < nTest; i++) swap(rows, start + i, start + i + randomBelow(random, count - i));
    for (let i = 0; i < nTest; i++) inTest[rows[start + i]] = 1;
  }
  if (options.rows === undefined) return partition(inTest, 1);
  return partitionRows(options.rows, inTest);
}

/**
 * Per-user k folds: each user's ratings, shuffled, are dealt round-robin into the k folds (each
 * user starting at a random fold), so every fold holds about 1/k of every user's ratings, as the
 * stratified split does for one test side. Split f has fold f as its test side. A user with fewer
 * ratings than k is absent from some folds' test sides.
 */
export function stratifiedKFold(columns: RatingColumns, options: KFoldOptions): Split[] {
  const { k } = options;
  const n = rowCount(columns);
  if (!Number.isInteger(k) || k < 2 || k > 255) throw new RangeError(`k-fold: k must be a whole number from 2 to 255, got ${k}`);
  if (k > n) throw new RangeError(`k-fold: k = ${k} is more than the ${n} ratings`);
  const { ptr, rows } = rowsByUser(columns);
  const random = new Random(options.seed);
  const fold = new Uint8Array(n);
  for (let u = 0; u + 1 < ptr.length; u++) {
    const start = ptr[u];
    const count = ptr[u + 1] - start;
    for (let i = 0; i + 1 < count; i++) swap(rows, start + i, start + i + randomBelow(random, count - i));
    const first = randomBelow(random, k);
    for (let i = 0; i < count; i++) fold[rows[start + i]] = (first + i) % k;
  }
  return Array.from({ length: k }, (_, f) => partition(fold, f));
}

/**
 * Leave-last-out: each user's latest rating by timestamp goes to test (ties: the later row);
 * a user with a single rating stays in train.
 */
export function temporalLeaveLastOut(columns: RatingColumns): Split {
  const n = rowCount(columns);
  const users = IdIndex.of(columns.users);
  const last = new Int32Array(users.size).fill(-1);
  const lastTime = new Float64Array(users.size).fill(-Infinity);
  const count = new Int32Array(users.size);
  const ts = columns.timestamps;
  for (let i = 0; i < n; i++) {
    const u = users.index(columns.users[i]);
    count[u]++;
    // Rows are visited in order, so ">=" makes the later row win a tie.
    if (ts[i] >= lastTime[u] || last[u] < 0) {
      lastTime[u] = ts[i];
      last[u] = i;
    }
  }
  const inTest = new Uint8Array(n);
  for (let u = 0; u < users.size; u++) if (count[u] >= 2) inTest[last[u]] = 1;
  return partition(inTest, 1);
}

/** Rows (all, or those given) grouped by user (dense index, ascending user id), ascending row order within a user. */
function rowsByUser(columns: RatingColumns, subset?: Int32Array): { ptr: Int32Array; rows: Int32Array } {
  const n = subset === undefined ? rowCount(columns) : subset.length;
  const rowAt = subset === undefined ? (i: number) => i : (i: number) => subset[i];
  const users = IdIndex.of(columns.users);
  const dense = new Int32Array(n);
  const ptr = new Int32Array(users.size + 1);
  for (let i = 0; i < n; i++) {
    dense[i] = users.index(columns.users[rowAt(i)]);
    ptr[dense[i] + 1]++;
  }
  for (let u = 0; u < users.size; u++) ptr[u + 1] += ptr[u];
  const next = ptr.slice(0, users.size);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[next[dense[i]]++] = rowAt(i);
  return { ptr, rows };
}

/** The given rows split by a mark per row of the table: marked → test; both sides keep the rows' order. */
function partitionRows(rows: Int32Array, inTest: Uint8Array): Split {
  let nTest = 0;
  for (const r of rows) if (inTest[r] === 1) nTest++;
  const test = new Int32Array(nTest);
  const train = new Int32Array(rows.length - nTest);
  let a = 0;
  let b = 0;
  for (const r of rows) {
    if (inTest[r] === 1) test[a++] = r;
    else train[b++] = r;
  }
  return { train, test };
}

/** Rows whose label equals `testLabel` → test, the others → train, both in row order. */
function partition(labels: Uint8Array, testLabel: number): Split {
  let nTest = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === testLabel) nTest++;
  const test = new Int32Array(nTest);
  const train = new Int32Array(labels.length - nTest);
  let a = 0;
  let b = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === testLabel) test[a++] = i;
    else train[b++] = i;
  }
  return { train, test };
}

function rowCount(columns: RatingColumns): number {
  const n = columns.users.length;
  if (columns.movies.length !== n || columns.ratings.length !== n || columns.timestamps.length !== n) {
    throw new RangeError('split: the four rating columns must have the same length');
  }
  return n;
}

function checkFraction(f: number): number {
  if (!(f > 0 && f < 1)) throw new RangeError(`split: testFraction must be between 0 and 1 (exclusive), got ${f}`);
  return f;
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** An integer in [0, bound) from one 32-bit draw: non-uniform by at most bound / 2^32, negligible here. */
function randomBelow(random: Random, bound: number): number {
  return Math.floor(random.next() * bound);
}
