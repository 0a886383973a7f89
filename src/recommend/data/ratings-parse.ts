// Pure parsers for the MovieLens ratings files: text in, columns (growable typed arrays) out.
// No I/O and no per-row objects, so a 25M-rating file costs four arrays, not 25M objects.
import { BadLines, isDigit, LineSplitter, parseId, parseUnixSeconds, parseUtcDateTime } from './text-fields.js';

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
  private readonly separator: string;
  private readonly kaggleTime: boolean;
  private readonly hasHeader: boolean;
  private readonly lines: LineSplitter;
  private readonly bad: BadLines;
  private ended = false;

  constructor(
    readonly layout: RatingsLayout,
    options: ParseOptions = {},
  ) {
    this.builder = new RatingsBuilder(options.capacity);
    this.separator = layout === 'ratings.dat' ? '::' : layout === 'u.data' ? '\t' : ',';
    this.kaggleTime = layout === 'rating.csv';
    this.hasHeader = layout === 'ratings.csv' || layout === 'rating.csv';
    this.bad = new BadLines(options.fileName ?? layout, options.skipBadLines === true);
    this.lines = new LineSplitter((line, lineNo) => this.line(line, lineNo));
  }

  /** Rows parsed so far. */
  get rows(): number {
    return this.builder.length;
  }

  get badLines(): number {
    return this.bad.count;
  }

  get firstBad(): string | undefined {
    return this.bad.first;
  }

  push(chunk: string): void {
    if (this.ended) throw new Error('RatingsParser: push after end');
    this.lines.push(chunk);
  }

  end(): ParseResult {
    if (!this.ended) {
      this.lines.end();
      this.ended = true;
      if (this.hasHeader && this.lines.lines === 0) this.bad.report(1, `missing header (expected "${CSV_HEADER}")`, '', true);
    }
    const result: ParseResult = { columns: this.builder.finish(), badLines: this.bad.count };
    if (this.bad.first !== undefined) result.firstBad = this.bad.first;
    return result;
  }

  private line(line: string, lineNo: number): void {
    if (lineNo === 1 && this.hasHeader) {
      if (line.trim() !== CSV_HEADER) this.bad.report(1, `missing header (expected "${CSV_HEADER}")`, line, true);
      return;
    }
    if (line.length === 0 || line.trim().length === 0) return;
    const reason = this.parseRow(line);
    if (reason !== undefined) this.bad.report(lineNo, reason, line);
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
