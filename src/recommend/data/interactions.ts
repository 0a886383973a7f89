// The training matrix every model reads: raw MovieLens ids mapped to dense indices, and the
// ratings in compressed sparse rows both ways (by user and by movie), built in O(n) with no
// per-rating objects.
import { IdIndexMap } from '../../util/id-index.js';
import type { UserHistory } from '../models/recommender.js';
import type { RatingColumns } from './ratings-parse.js';

/** Raw id ↔ dense index: the ids sorted, and their positions by id (util's IdIndexMap). */
export class IdIndex {
  /** dense index → raw id, ascending by raw id. */
  readonly ids: Int32Array;
  private readonly positions: IdIndexMap;

  constructor(sortedDistinctIds: Int32Array) {
    this.ids = sortedDistinctIds;
    const max = sortedDistinctIds.length > 0 ? sortedDistinctIds[sortedDistinctIds.length - 1] : -1;
    this.positions = new IdIndexMap(1 << 24, max);
    for (let i = 0; i < sortedDistinctIds.length; i++) this.positions.set(sortedDistinctIds[i], i);
  }

  /** The distinct ids of a column, sorted. */
  static of(column: Int32Array): IdIndex {
    return new IdIndex(distinctSorted(column));
  }

  get size(): number {
    return this.ids.length;
  }

  /** The dense index of a raw id, or -1 when unknown. */
  index(id: number): number {
    return this.positions.get(id);
  }
}

/** Ratings by dense index, both ways. Row r of the by-user side is `items[ptr[r]..ptr[r+1])`. */
export interface Interactions {
  users: IdIndex;
  movies: IdIndex;
  count: number;
  globalMean: number;
  /** By user: userPtr has users.size + 1 entries; userItems are dense movie indices, ascending. */
  userPtr: Int32Array;
  userItems: Int32Array;
  userRatings: Float32Array;
  /** By movie: moviePtr has movies.size + 1 entries; movieUsers are dense user indices, ascending. */
  moviePtr: Int32Array;
  movieUsers: Int32Array;
  movieRatings: Float32Array;
}

/**
 * Builds the matrix from columns, or from the rows listed in `rows` (a training split). Ids are
 * indexed from the rows used, so a movie seen only in a test split is unknown to the model.
 * A duplicate (user, movie) pair keeps both ratings; MovieLens has none.
 */
export function buildInteractions(columns: RatingColumns, rows?: Int32Array, indices?: { users: IdIndex; movies: IdIndex }): Interactions {
  const n = rows === undefined ? columns.users.length : rows.length;
  const rowAt = rows === undefined ? (i: number) => i : (i: number) => rows[i];
  let users: IdIndex;
  let movies: IdIndex;
  if (indices !== undefined) {
    ({ users, movies } = indices);
  } else if (rows === undefined) {
    users = IdIndex.of(columns.users);
    movies = IdIndex.of(columns.movies);
  } else {
    const u = new Int32Array(n);
    const m = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      u[i] = columns.users[rows[i]];
      m[i] = columns.movies[rows[i]];
    }
    users = IdIndex.of(u);
    movies = IdIndex.of(m);
  }
  const du = new Int32Array(n);
  const dm = new Int32Array(n);
  let sum = 0;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const r = rowAt(i);
    du[i] = users.index(columns.users[r]);
    dm[i] = movies.index(columns.movies[r]);
    if (du[i] >= 0 && dm[i] >= 0) {
      sum += columns.ratings[r];
      kept++;
    }
  }
  const byUser = toCsr(users.size, du, dm, columns.ratings, rowAt, n);
  const byMovie = toCsr(movies.size, dm, du, columns.ratings, rowAt, n);
  return {
    users,
    movies,
    count: kept,
    globalMean: kept > 0 ? sum / kept : 0,
    userPtr: byUser.ptr,
    userItems: byUser.cols,
    userRatings: byUser.values,
    moviePtr: byMovie.ptr,
    movieUsers: byMovie.cols,
    movieRatings: byMovie.values,
  };
}

/** Counting sort of (row, col, value) by row, then col ascending within a row. Negative rows/cols are skipped. */
function toCsr(
  nRows: number,
  rowOf: Int32Array,
  colOf: Int32Array,
  ratings: Float32Array,
  rowAt: (i: number) => number,
  n: number,
): { ptr: Int32Array; cols: Int32Array; values: Float32Array } {
  // Sort by col first (counting sort), then stable counting sort by row: rows end up with ascending cols.
  let maxCol = -1;
  for (let i = 0; i < n; i++) if (colOf[i] > maxCol) maxCol = colOf[i];
  const colCount = new Int32Array(maxCol + 2);
  for (let i = 0; i < n; i++) if (rowOf[i] >= 0 && colOf[i] >= 0) colCount[colOf[i] + 1]++;
  for (let c = 0; c <= maxCol; c++) colCount[c + 1] += colCount[c];
  const total = colCount[maxCol + 1] ?? 0;
  const order = new Int32Array(total);
  for (let i = 0; i < n; i++) if (rowOf[i] >= 0 && colOf[i] >= 0) order[colCount[colOf[i]]++] = i;

  const ptr = new Int32Array(nRows + 1);
  for (let k = 0; k < total; k++) ptr[rowOf[order[k]] + 1]++;
  for (let r = 0; r < nRows; r++) ptr[r + 1] += ptr[r];
  const next = ptr.slice(0, nRows);
  const cols = new Int32Array(total);
  const values = new Float32Array(total);
  for (let k = 0; k < total; k++) {
    const i = order[k];
    const at = next[rowOf[i]]++;
    cols[at] = colOf[i];
    values[at] = ratings[rowAt(i)];
  }
  return { ptr, cols, values };
}

function distinctSorted(column: Int32Array): Int32Array {
  if (column.length === 0) return new Int32Array(0);
  let min = column[0];
  let max = column[0];
  for (let i = 1; i < column.length; i++) {
    const v = column[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min >= 0 && max < 1 << 26) {
    const seen = new Uint8Array(max + 1);
    let distinct = 0;
    for (let i = 0; i < column.length; i++) {
      if (seen[column[i]] === 0) {
        seen[column[i]] = 1;
        distinct++;
      }
    }
    const out = new Int32Array(distinct);
    let k = 0;
    for (let id = 0; id <= max; id++) if (seen[id] === 1) out[k++] = id;
    return out;
  }
  return Int32Array.from(new Set(column)).sort();
}

/** Each user's history in a matrix, by raw user id (empty for a user it does not hold). */
export function historiesOf(data: Interactions): (userId: number) => UserHistory {
  return (userId) => {
    const u = data.users.index(userId);
    if (u < 0) return { userId, movies: new Int32Array(0), ratings: new Float32Array(0) };
    const from = data.userPtr[u];
    const to = data.userPtr[u + 1];
    const movies = new Int32Array(to - from);
    for (let k = from; k < to; k++) movies[k - from] = data.movies.ids[data.userItems[k]];
    return { userId, movies, ratings: data.userRatings.slice(from, to) };
  };
}
