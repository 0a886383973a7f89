// Pure parsers for the tag genome: genome-tags.csv (tagId,tag) and genome-scores.csv
// (movieId,tagId,relevance; Kaggle: genome_tags.csv / genome_scores.csv). The scores file is
// 11.7M lines for ML-20M, so it is parsed streaming straight into the movies × tags matrix:
// no per-line objects, and a duplicate (movie, tag) is caught with its line number.
import type { Genome } from './content-features.js';
import { BadLines, LineSplitter, parseId } from './text-fields.js';
import { splitCsvRecord } from '../../util/csv.js';

export const GENOME_TAGS_HEADER = 'tagId,tag';
export const GENOME_SCORES_HEADER = 'movieId,tagId,relevance';
/** Relevance a little outside [0, 1] (float noise in an export) is clamped, anything further is malformed. */
const RELEVANCE_SLACK = 1e-6;

export interface GenomeParseOptions {
  /** The file's name, for error messages. */
  fileName?: string;
  /** Count malformed lines and go on instead of throwing at the first. */
  skipBadLines?: boolean;
}

export interface GenomeTagsResult {
  /** Tag ids ascending; `tags[i]` is tag `tagIds[i]`'s text. */
  tagIds: Int32Array;
  tags: string[];
  badLines: number;
  firstBad?: string;
}

/** Parses genome-tags.csv text: header `tagId,tag`, RFC-4180 quoting; returns the tags by ascending id. */
export function parseGenomeTags(text: string, options: GenomeParseOptions = {}): GenomeTagsResult {
  const bad = new BadLines(options.fileName ?? 'genome-tags.csv', options.skipBadLines === true);
  const byId = new Map<number, string>();
  let sawHeader = false;
  const splitter = new LineSplitter((line, lineNo) => {
    if (!sawHeader) {
      sawHeader = true;
      if (line.trim() !== GENOME_TAGS_HEADER) bad.report(lineNo, `missing header (expected "${GENOME_TAGS_HEADER}")`, line, true);
      return;
    }
    if (line.trim().length === 0) return;
    const fields = splitCsvRecord(line);
    if (typeof fields === 'string') return bad.report(lineNo, fields, line);
    if (fields.length !== 2) return bad.report(lineNo, `expected 2 fields (tagId,tag), got ${fields.length}`, line);
    const id = parseId(fields[0], 0, fields[0].length);
    if (id < 0) return bad.report(lineNo, `bad tag id "${fields[0]}"`, line);
    const tag = fields[1].trim();
    if (tag.length === 0) return bad.report(lineNo, 'empty tag', line);
    if (byId.has(id)) return bad.report(lineNo, `duplicate tag id ${id}`, line);
    byId.set(id, tag);
  });
  splitter.push(text);
  splitter.end();
  if (!sawHeader) bad.report(1, `missing header (expected "${GENOME_TAGS_HEADER}")`, '', true);
  const tagIds = Int32Array.from(byId.keys()).sort();
  const result: GenomeTagsResult = { tagIds, tags: Array.from(tagIds, (id) => byId.get(id) as string), badLines: bad.count };
  if (bad.first !== undefined) result.firstBad = bad.first;
  return result;
}

export interface GenomeScoresResult {
  genome: Genome;
  /** (movie, tag) cells no line gave: left at relevance 0. */
  missingScores: number;
  badLines: number;
  firstBad?: string;
}

/**
 * An incremental genome-scores parser: `push` text chunks in file order, then `end`. Movies get a
 * matrix row in order of first appearance (with a one-entry cache: the files are sorted by movie);
 * `end` orders the rows by movie id.
 */
export class GenomeScoresParser {
  private readonly splitter: LineSplitter;
  private readonly bad: BadLines;
  private readonly tagsFile: string;
  private readonly tagCount: number;
  /** tag id → column, as a table when ids are small (they are 1..1128 in MovieLens). */
  private readonly tagTable: Int32Array | null;
  private readonly tagMap: Map<number, number> | null;
  private readonly rowOf = new Map<number, number>();
  private rowMovies: Int32Array;
  private relevance: Float32Array;
  private filled: Uint8Array;
  private rows = 0;
  private lastMovie = -1;
  private lastRow = -1;
  private sawHeader = false;

  constructor(
    private readonly genomeTags: Pick<GenomeTagsResult, 'tagIds' | 'tags'>,
    options: GenomeParseOptions & { tagsFileName?: string } = {},
  ) {
    this.bad = new BadLines(options.fileName ?? 'genome-scores.csv', options.skipBadLines === true);
    this.tagsFile = options.tagsFileName ?? 'genome-tags.csv';
    const ids = genomeTags.tagIds;
    this.tagCount = ids.length;
    const maxId = ids.length > 0 ? ids[ids.length - 1] : -1;
    if (maxId < 1 << 20) {
      this.tagTable = new Int32Array(maxId + 1).fill(-1);
      ids.forEach((id, i) => ((this.tagTable as Int32Array)[id] = i));
      this.tagMap = null;
    } else {
      this.tagTable = null;
      this.tagMap = new Map(Array.from(ids, (id, i) => [id, i] as [number, number]));
    }
    this.rowMovies = new Int32Array(64);
    this.relevance = new Float32Array(64 * this.tagCount);
    this.filled = new Uint8Array(64 * this.tagCount);
    this.splitter = new LineSplitter((line, lineNo) => this.line(line, lineNo));
  }

  /** Lines read so far. */
  get lines(): number {
    return this.splitter.lines;
  }

  push(chunk: string): void {
    this.splitter.push(chunk);
  }

  end(): GenomeScoresResult {
    this.splitter.end();
    if (!this.sawHeader) this.bad.report(1, `missing header (expected "${GENOME_SCORES_HEADER}")`, '', true);
    const T = this.tagCount;
    const n = this.rows;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.rowMovies[a] - this.rowMovies[b]);
    const sorted = order.every((row, i) => row === i);
    const movieIds = new Int32Array(n);
    let relevance: Float32Array;
    let missingScores = 0;
    if (sorted) {
      movieIds.set(this.rowMovies.subarray(0, n));
      relevance = this.relevance.slice(0, n * T);
    } else {
      relevance = new Float32Array(n * T);
      order.forEach((row, i) => {
        movieIds[i] = this.rowMovies[row];
        relevance.set(this.relevance.subarray(row * T, (row + 1) * T), i * T);
      });
    }
    for (let i = 0; i < n * T; i++) if (this.filled[i] === 0) missingScores++;
    const result: GenomeScoresResult = { genome: { tags: this.genomeTags.tags, movieIds, relevance }, missingScores, badLines: this.bad.count };
    if (this.bad.first !== undefined) result.firstBad = this.bad.first;
    return result;
  }

  private line(line: string, lineNo: number): void {
    if (!this.sawHeader) {
      this.sawHeader = true;
      if (line.trim() !== GENOME_SCORES_HEADER) this.bad.report(lineNo, `missing header (expected "${GENOME_SCORES_HEADER}")`, line, true);
      return;
    }
    if (line.length === 0) return;
    const reason = this.parseRow(line);
    if (reason !== undefined) {
      if (line.trim().length === 0) return;
      this.bad.report(lineNo, reason, line);
    }
  }

  private parseRow(line: string): string | undefined {
    const a = line.indexOf(',');
    const b = a < 0 ? -1 : line.indexOf(',', a + 1);
    if (b < 0 || line.indexOf(',', b + 1) >= 0) return 'expected 3 fields (movieId,tagId,relevance)';
    const movie = parseId(line, 0, a);
    if (movie < 0) return `bad movie id "${line.slice(0, a)}"`;
    const tagId = parseId(line, a + 1, b);
    if (tagId < 0) return `bad tag id "${line.slice(a + 1, b)}"`;
    const col = this.tagTable !== null ? (tagId < this.tagTable.length ? this.tagTable[tagId] : -1) : (this.tagMap?.get(tagId) ?? -1);
    if (col < 0) return `unknown tag id ${tagId} (not in ${this.tagsFile})`;
    const text = line.slice(b + 1);
    const c0 = text.charCodeAt(0);
    // Number('') and Number(' ') are 0: require a digit or '.' up front.
    const relevance = (c0 >= 48 && c0 <= 57) || c0 === 46 ? Number(text) : NaN;
    if (!(relevance >= -RELEVANCE_SLACK && relevance <= 1 + RELEVANCE_SLACK)) return `bad relevance "${text}" (expected 0 to 1)`;
    const row = this.rowFor(movie);
    const cell = row * this.tagCount + col;
    if (this.filled[cell] !== 0) return `duplicate score for movie ${movie}, tag ${tagId}`;
    this.filled[cell] = 1;
    this.relevance[cell] = Math.min(1, Math.max(0, relevance));
    return undefined;
  }

  private rowFor(movie: number): number {
    if (movie === this.lastMovie) return this.lastRow;
    let row = this.rowOf.get(movie);
    if (row === undefined) {
      row = this.rows++;
      this.rowOf.set(movie, row);
      if (row === this.rowMovies.length) this.grow();
      this.rowMovies[row] = movie;
    }
    this.lastMovie = movie;
    this.lastRow = row;
    return row;
  }

  private grow(): void {
    const rows = this.rowMovies.length * 2;
    const movies = new Int32Array(rows);
    movies.set(this.rowMovies);
    const relevance = new Float32Array(rows * this.tagCount);
    relevance.set(this.relevance);
    const filled = new Uint8Array(rows * this.tagCount);
    filled.set(this.filled);
    this.rowMovies = movies;
    this.relevance = relevance;
    this.filled = filled;
  }
}

/** Parses whole genome-scores text against the parsed genome tags. */
export function parseGenomeScores(text: string, tags: Pick<GenomeTagsResult, 'tagIds' | 'tags'>, options: GenomeParseOptions = {}): GenomeScoresResult {
  const parser = new GenomeScoresParser(tags, options);
  parser.push(text);
  return parser.end();
}
