// Pure parser for users' tags: tags.csv (ml-latest / ml-20m / ml-25m), Kaggle's tag.csv (UTC
// datetimes) and ml-10m's tags.dat (`::`). Tags are lower-cased and trimmed, then aggregated per
// (movie, tag) into the MovieTags shape; timestamps are checked but not kept.
import type { MovieTags } from './content-features.js';
import { BadLines, Int32Column, LineSplitter, parseId, parseUnixSeconds, parseUtcDateTime } from './text-fields.js';
import { splitCsvRecord } from '../../util/csv.js';

export type TagsLayout = 'tags.csv' | 'tag.csv' | 'tags.dat';

export const TAGS_LAYOUTS: readonly TagsLayout[] = ['tags.csv', 'tag.csv', 'tags.dat'];

const CSV_HEADER = 'userId,movieId,tag,timestamp';
/** A quoted tag may span lines; a record this long is a stray quote, not a tag. */
const MAX_RECORD_LINES = 20;

export interface TagsParseOptions {
  /** The file's name, for error messages (defaults to the layout's name). */
  fileName?: string;
  skipBadLines?: boolean;
}

export interface TagsParseResult {
  tags: MovieTags;
  /** Tag applications read (lines with a non-empty tag). */
  applications: number;
  /** Lines whose tag was empty after trimming: ignored, not malformed. */
  emptyTags: number;
  badLines: number;
  firstBad?: string;
}

/** An incremental tags parser: `push` text chunks in file order, then `end`. */
export class TagsParser {
  private readonly splitter: LineSplitter;
  private readonly bad: BadLines;
  private readonly csv: boolean;
  private readonly kaggleTime: boolean;
  private readonly tagIndex = new Map<string, number>();
  private readonly movies = new Int32Column();
  private readonly tagIds = new Int32Column();
  private emptyTags = 0;
  private sawHeader = false;
  /** A quoted field still open: the record so far and the line it started on. */
  private pending = '';
  private pendingLine = 0;
  private pendingLines = 0;

  constructor(
    readonly layout: TagsLayout,
    options: TagsParseOptions = {},
  ) {
    this.bad = new BadLines(options.fileName ?? layout, options.skipBadLines === true);
    this.csv = layout !== 'tags.dat';
    this.kaggleTime = layout === 'tag.csv';
    this.splitter = new LineSplitter((line, lineNo) => this.line(line, lineNo));
  }

  /** Tag applications so far. */
  get rows(): number {
    return this.movies.length;
  }

  push(chunk: string): void {
    this.splitter.push(chunk);
  }

  end(): TagsParseResult {
    this.splitter.end();
    if (this.pending.length > 0) {
      const line = this.pending;
      this.pending = '';
      this.bad.report(this.pendingLine, 'unterminated quoted field', line);
    }
    if (this.csv && !this.sawHeader) this.bad.report(1, `missing header (expected "${CSV_HEADER}")`, '', true);
    const result: TagsParseResult = {
      tags: aggregateTags(this.tagIndex, this.movies.finish(), this.tagIds.finish()),
      applications: this.movies.length,
      emptyTags: this.emptyTags,
      badLines: this.bad.count,
    };
    if (this.bad.first !== undefined) result.firstBad = this.bad.first;
    return result;
  }

  private line(line: string, lineNo: number): void {
    if (this.csv && !this.sawHeader) {
      this.sawHeader = true;
      if (line.trim() !== CSV_HEADER) this.bad.report(lineNo, `missing header (expected "${CSV_HEADER}")`, line, true);
      return;
    }
    let record = line;
    let recordLine = lineNo;
    if (this.csv) {
      if (this.pending.length > 0) {
        record = `${this.pending}\n${line}`;
        recordLine = this.pendingLine;
        this.pendingLines++;
      } else {
        this.pendingLines = 1;
      }
      if (oddQuotes(record)) {
        if (this.pendingLines >= MAX_RECORD_LINES) {
          this.pending = '';
          return this.bad.report(recordLine, 'unterminated quoted field', record);
        }
        this.pending = record;
        this.pendingLine = recordLine;
        return;
      }
      this.pending = '';
    }
    if (record.trim().length === 0) return;
    const reason = this.csv ? this.parseCsv(record) : this.parseDat(record);
    if (reason !== undefined) this.bad.report(recordLine, reason, record);
  }

  private parseCsv(record: string): string | undefined {
    // Fast path: no quotes, so the fields are the text between commas.
    const fields = record.includes('"') ? splitCsvRecord(record) : record.split(',');
    if (typeof fields === 'string') return fields;
    if (fields.length !== 4) return `expected 4 fields (${CSV_HEADER}), got ${fields.length}`;
    return this.add(fields[0], fields[1], fields[2], fields[3]);
  }

  private parseDat(record: string): string | undefined {
    // UserID::MovieID::Tag::Timestamp; a tag holding "::" still parses (the timestamp is last).
    const a = record.indexOf('::');
    const b = a < 0 ? -1 : record.indexOf('::', a + 2);
    const c = record.lastIndexOf('::');
    if (b < 0 || c <= b) return 'expected 4 fields (UserID::MovieID::Tag::Timestamp)';
    return this.add(record.slice(0, a), record.slice(a + 2, b), record.slice(b + 2, c), record.slice(c + 2));
  }

  private add(userText: string, movieText: string, tagText: string, timeText: string): string | undefined {
    if (parseId(userText, 0, userText.length) < 0) return `bad user id "${userText}"`;
    const movie = parseId(movieText, 0, movieText.length);
    if (movie < 0) return `bad movie id "${movieText}"`;
    const ts = this.kaggleTime ? parseUtcDateTime(timeText) : parseUnixSeconds(timeText);
    if (ts === undefined) {
      return this.kaggleTime ? `bad timestamp "${timeText}" (expected YYYY-MM-DD HH:MM:SS)` : `bad timestamp "${timeText}" (expected unix seconds)`;
    }
    const tag = tagText.trim().toLowerCase();
    if (tag.length === 0) {
      this.emptyTags++;
      return undefined;
    }
    let id = this.tagIndex.get(tag);
    if (id === undefined) {
      id = this.tagIndex.size;
      this.tagIndex.set(tag, id);
    }
    this.movies.push(movie);
    this.tagIds.push(id);
    return undefined;
  }
}

/** Parses a whole tags file's decoded text in the given layout. */
export function parseTags(text: string, layout: TagsLayout, options: TagsParseOptions = {}): TagsParseResult {
  const parser = new TagsParser(layout, options);
  parser.push(text);
  return parser.end();
}

/**
 * Tag applications (movie, tag index in first-seen order) → MovieTags: tags sorted by text (code
 * units, so the order is the same on every machine), one row per (movie, tag) with its count,
 * sorted by movie then tag.
 */
export function aggregateTags(tagIndex: ReadonlyMap<string, number>, movies: Int32Array, tagIds: Int32Array): MovieTags {
  const texts: string[] = [];
  for (const [text, i] of tagIndex) texts[i] = text;
  const order = texts.map((_, i) => i).sort((a, b) => (texts[a] < texts[b] ? -1 : texts[a] > texts[b] ? 1 : 0));
  const rank = new Int32Array(texts.length);
  order.forEach((old, i) => (rank[old] = i));
  const T = texts.length;
  // One sortable number per application: movie * T + tag stays exact below 2^53 while T < 2^22.
  if (T >= 2 ** 22) throw new Error(`too many distinct tags (${T}): at most ${2 ** 22 - 1}`);
  const keys = new Float64Array(movies.length);
  for (let i = 0; i < movies.length; i++) keys[i] = movies[i] * T + rank[tagIds[i]];
  keys.sort();
  let rows = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[i - 1]) rows++;
  const outMovies = new Int32Array(rows);
  const outTags = new Int32Array(rows);
  const counts = new Int32Array(rows);
  let r = -1;
  for (let i = 0; i < keys.length; i++) {
    if (i === 0 || keys[i] !== keys[i - 1]) {
      r++;
      outMovies[r] = Math.floor(keys[i] / T);
      outTags[r] = keys[i] - outMovies[r] * T;
    }
    counts[r]++;
  }
  return { tags: order.map((i) => texts[i]), movieIds: outMovies, tagIds: outTags, counts };
}

function oddQuotes(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) quotes++;
  return quotes % 2 === 1;
}
