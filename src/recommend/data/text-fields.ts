// What every MovieLens file parser shares: field readers that allocate nothing, the chunk → line
// splitter (BOM, CRLF, a line across chunks, 1-based line numbers), RFC-4180 records and the
// malformed-line policy (stop at the first, or count them and remember the first).

const MAX_ID = 2 ** 31 - 1;

/** A non-negative 31-bit integer from s[start, end), or -1. */
export function parseId(s: string, start: number, end: number): number {
  if (end <= start || end - start > 10) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n > MAX_ID ? -1 : n;
}

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whole non-negative unix seconds as epoch ms, or undefined. */
export function parseUnixSeconds(text: string): number | undefined {
  const s = parseId(text, 0, text.length);
  if (s >= 0) return s * 1000;
  // Beyond 2^31 s (year 2038) or long digit strings: still whole non-negative seconds.
  if (text.length === 0 || text.length > 15) return undefined;
  for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return undefined;
  return Number(text) * 1000;
}

/** "YYYY-MM-DD HH:MM:SS" read as UTC (the Kaggle ml-20m export), as epoch ms. */
export function parseUtcDateTime(text: string): number | undefined {
  if (text.length !== 19) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') return undefined;
  const num = (from: number, len: number) => parseId(text, from, from + len);
  const year = num(0, 4);
  const month = num(5, 2);
  const day = num(8, 2);
  const hour = num(11, 2);
  const minute = num(14, 2);
  const second = num(17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return undefined;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Rejects days past the month's end (Date.UTC would roll them over).
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}

/** The malformed-line policy of one file: throw at the first, or count them and keep the first message. */
export class BadLines {
  count = 0;
  first: string | undefined;

  constructor(
    readonly fileName: string,
    private readonly skip: boolean,
  ) {}

  /** Reports a malformed line: throws unless skipping (a fatal problem, e.g. a wrong header, always throws). */
  report(lineNo: number, reason: string, line: string, fatal = false): void {
    const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
    const message = `${this.fileName}, line ${lineNo}: ${reason}${line ? `: ${JSON.stringify(shown)}` : ''}`;
    if (fatal || !this.skip) throw new Error(message);
    this.count++;
    this.first ??= message;
  }
}

/**
 * Cuts pushed text chunks into lines, in file order: drops a leading BOM and a CR before each LF,
 * and calls `onLine` with the line and its 1-based number (blank lines included: the caller
 * decides what they mean).
 */
export class LineSplitter {
  private carry = '';
  private lineNo = 0;
  private started = false;
  private ended = false;

  constructor(private readonly onLine: (line: string, lineNo: number) => void) {}

  /** Lines seen so far. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: string): void {
    if (this.ended) throw new Error('LineSplitter: push after end');
    let text = this.carry + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.emit(text, start, nl);
      start = nl + 1;
    }
    this.carry = start === 0 ? text : text.slice(start);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.carry.length > 0) this.emit(this.carry, 0, this.carry.length);
    this.carry = '';
  }

  private emit(text: string, start: number, endExclusive: number): void {
    let end = endExclusive;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    this.onLine(text.slice(start, end), ++this.lineNo);
  }
}

/** Growable Int32 column; `finish()` returns a view of exactly the values pushed. */
export class Int32Column {
  private data: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(16, Math.ceil(capacity)));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  finish(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}
