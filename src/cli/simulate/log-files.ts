import { createWriteStream, mkdirSync, openSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** The old simulator's name stamp: local time as YYYYMMDD_HHMMSS. */
export function logStamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/**
 * The JSONL log of one run, `<dir>/traffic_simulation_<stamp>.jsonl`, created (never overwritten:
 * a second run in the same second gets `_2`, `_3`, …) with its summary path beside it.
 */
export class SimulationLog {
  readonly jsonlPath: string;
  readonly summaryPath: string;
  private readonly stream: WriteStream;
  private failure: Error | null = null;

  constructor(dir: string, date = new Date()) {
    mkdirSync(dir, { recursive: true });
    const base = `traffic_simulation_${logStamp(date)}`;
    let fd: number | undefined;
    let name = base;
    for (let i = 2; fd === undefined; i++) {
      try {
        fd = openSync(join(dir, `${name}.jsonl`), 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 1000) throw err;
        name = `${base}_${i}`;
      }
    }
    this.jsonlPath = join(dir, `${name}.jsonl`);
    this.summaryPath = join(dir, `${name}.json`);
    this.stream = createWriteStream('', { fd });
    this.stream.on('error', (err) => (this.failure ??= err));
  }

  /** Appends one line; a write error surfaces at close(). */
  write(line: unknown): void {
    this.stream.write(`${JSON.stringify(line)}\n`);
  }

  /** Flushes and closes the JSONL file. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failure) throw new Error(`cannot write ${this.jsonlPath}: ${this.failure.message}`);
  }

  writeSummary(summary: unknown): void {
    writeFileSync(this.summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  }
}
