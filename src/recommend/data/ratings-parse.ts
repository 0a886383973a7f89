// Pure parsers for the MovieLens ratings files: text in, columns (growable typed arrays) out.
// No I/O and no per-row objects, so a 25M-rating file costs four arrays, not 25M objects.
import { isDigit, parseId, parseUnixSeconds, parseUtcDateTime } from './text-fields.js';

export type RatingsLayout = 'ratings.csv' | 'rating.csv' | 'ratings.dat' | 'u.data';

export const RATINGS_LAYOUTS: readonly RatingsLayout[] = ['ratings.csv', 'rating.csv', 'ratings.dat', 'u.data'];

/** Ratings as four parallel columns of equal length; timestamps are epoch ms. */
export interface RatingColumns {
  users: Int32Array;
  movies: Int32Array;
  ratings: Float32Array;
  timestamps: Float64Array;
}

export interface ParseOptions {
  /** The file's name, for error messages (defaults to the layout's name). */
  fileName?: string;
  /** Count malformed lines and go on instead of throwing at the first. */
  skipBadLines?: boolean;
  /** Initial capacity of the columns, e.g. estimated from the file size. */
  capacity?: number;
}

export interface ParseResult {
  columns: RatingColumns;
  badLines: number;
  /** The first malformed line's message (file, line number, reason), when skipBadLines counted some. */
  firstBad?: string;
}

const CSV_HEADER = 'userId,movieId,rating,timestamp';
const MIN_RATING = 0.5;
const MAX_RATING = 5;

/** The layout of a ratings file, from its base name (directories are ignored). */
export function detectRatingsLayout(fileName: string): RatingsLayout {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const layout = RATINGS_LAYOUTS.find((l) => l === base);
  if (layout === undefined) {
    throw new Error(`unsupported ratings file "${base}": expected one of ${RATINGS_LAYOUTS.join(', ')}`);
  }
  return layout;
}

/** Growable typed-array columns; `finish()` returns views of exactly the rows pushed. */
export class RatingsBuilder {
  private users: Int32Array;
  private movies: Int32Array;
  private ratings: Float32Array;
  private timestamps: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    const n = Math.max(16, Math.ceil(capacity));
    this.users = new Int32Array(n);
    this.movies = new Int32Array(n);
    this.ratings = new Float32Array(n);
    this.timestamps = new Float64Array(n);
  }

  push(user: number, movie: number, rating: number, timestampMs: number): void {
    if (this.length === this.users.length) this.grow();
    const i = this.length++;
    this.users[i] = user;
    this.movies[i] = movie;
    this.ratings[i] = rating;
    this.timestamps[i] = timestampMs;
  }

  finish(): RatingColumns {
    const n = this.length;
    return {
      users: this.users.subarray(0, n),
      movies: this.movies.subarray(0, n),
      ratings: this.ratings.subarray(0, n),
      timestamps: this.timestamps.subarray(0, n),
    };
  }

  private grow(): void {
    const n = this.users.length * 2;
    const users = new Int32Array(n);
    users.set(this.users);
    const movies = new Int32Array(n);
    movies.set(this.movies);
    const ratings = new Float32Array(n);
    ratings.set(this.ratings);
    const timestamps = new Float64Array(n);
    timestamps.set(this.timestamps);
    this.users = users;
    this.movies = movies;
    this.ratings = ratings;
    this.timestamps = timestamps;
  }
}

/**
 * An incremental parser: `push` text chunks in file order (a line may span chunks), then `end`.
 * Line numbers are 1-based and count the header and blank lines.
 */
export class RatingsParser {
  private readonly builder: RatingsBuilder;
  private readonly fileName: string;
  private readonly separator: string;
  private readonly kaggleTime: boolean;
  private readonly hasHeader: boolean;
  private carry = '';
  private lineNo = 0;
  private started = false;
  private ended = false;
  badLines = 0;
  firstBad: string | undefined;

  constructor(
    readonly layout: RatingsLayout,
    private readonly options: ParseOptions = {},
  ) {
    this.builder = new RatingsBuilder(options.capacity);
    this.fileName = options.fileName ?? layout;
    this.separator = layout === 'ratings.dat' ? '::' : layout === 'u.data' ? '\t' : ',';
    this.kaggleTime = layout === 'rating.csv';
    this.hasHeader = layout === 'ratings.csv' || layout === 'rating.csv';
  }

  /** Rows parsed so far. */
  get rows(): number {
    return this.builder.length;
  }

  push(chunk: string): void {
    if (this.ended) throw new Error('RatingsParser: push after end');
    let text = this.carry + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.line(text, start, nl);
      start = nl + 1;
    }
    this.carry = start === 0 ? text : text.slice(start);
  }

  end(): ParseResult {
    if (!this.ended) {
      if (this.carry.length > 0) this.line(this.carry, 0, this.carry.length);
      this.carry = '';
      this.ended = true;
      if (this.hasHeader && this.lineNo === 0) this.bad(1, `missing header (expected "${CSV_HEADER}")`, '', true);
    }
    const result: ParseResult = { columns: this.builder.finish(), badLines: this.badLines };
    if (this.firstBad !== undefined) result.firstBad = this.firstBad;
    return result;
  }

  private line(text: string, start: number, endExclusive: number): void {
    const lineNo = ++this.lineNo;
    let end = endExclusive;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const line = text.slice(start, end);
    if (lineNo === 1 && this.hasHeader) {
      if (line.trim() !== CSV_HEADER) this.bad(1, `missing header (expected "${CSV_HEADER}")`, line, true);
      return;
    }
    if (line.length === 0 || line.trim().length === 0) return;
    const reason = this.parseRow(line);
    if (reason !== undefined) this.bad(lineNo, reason, line, false);
  }

  /** Parses one row into the builder; returns the reason when the row is malformed. */
  private parseRow(line: string): string | undefined {
    const sep = this.separator;
    const a = line.indexOf(sep);
    const b = a < 0 ? -1 : line.indexOf(sep, a + sep.length);
    const c = b < 0 ? -1 : line.indexOf(sep, b + sep.length);
    if (c < 0) return 'expected 4 fields';
    const d = line.indexOf(sep, c + sep.length);
    // u.data's fields are tab-separated; a trailing tab is not in the real files, so 5+ fields is bad.
    if (d >= 0) return 'expected 4 fields';
    const user = parseId(line, 0, a);
    if (user < 0) return `bad user id "${line.slice(0, a)}"`;
    const movie = parseId(line, a + sep.length, b);
    if (movie < 0) return `bad movie id "${line.slice(a + sep.length, b)}"`;
    const ratingText = line.slice(b + sep.length, c);
    const rating = parseRating(ratingText);
    if (rating === undefined) return `bad rating "${ratingText}" (expected ${MIN_RATING} to ${MAX_RATING})`;
    const timeText = line.slice(c + sep.length);
    const ts = this.kaggleTime ? parseUtcDateTime(timeText) : parseUnixSeconds(timeText);
    if (ts === undefined) {
      return this.kaggleTime
        ? `bad timestamp "${timeText}" (expected YYYY-MM-DD HH:MM:SS)`
        : `bad timestamp "${timeText}" (expected unix seconds)`;
    }
    this.builder.push(user, movie, rating, ts);
    return undefined;
  }

  private bad(lineNo: number, reason: string, line: string, fatal: boolean): void {
    const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
    const message = `${this.fileName}, line ${lineNo}: ${reason}${line ? `: ${JSON.stringify(shown)}` : ''}`;
    if (fatal || !this.options.skipBadLines) throw new Error(message);
    this.badLines++;
    this.firstBad ??= message;
  }
}

/** Parses a whole ratings file's decoded text in the given layout. */
export function parseRatings(text: string, layout: RatingsLayout, options: ParseOptions = {}): ParseResult {
  const parser = new RatingsParser(layout, { capacity: Math.max(16, text.length / 16), ...options });
  parser.push(text);
  return parser.end();
}

function parseRating(text: string): number | undefined {
  if (text.length === 0 || text.length > 8) return undefined;
  if (!isDigit(text.charCodeAt(0)) || !isDigit(text.charCodeAt(text.length - 1))) return undefined;
  const r = Number(text);
  return r >= MIN_RATING && r <= MAX_RATING ? r : undefined;
}
