import { peakRssMb } from '../src/util/memory.js';

export { peakRssMb };

/** Benchmark output: human lines as it goes, then one JSON line per figure at the end. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  /** value / baseline (higher is better for rates). */
  ratio?: number;
}


/** `peakRss` overrides the bench process's own peak, for a bench that measures another process. */
export function printFigures(bench: string, figures: Figure[], peakRss?: number): void {
  const rss = peakRss !== undefined ? Math.round(peakRss) : peakRssMb();
  for (const f of figures) {
    // Small figures (seconds, RMSE) keep three decimals; rates keep one.
    const line: Record<string, unknown> = { bench, name: f.name, value: round(f.value, Math.abs(f.value) < 100 ? 3 : 1), unit: f.unit };
    if (f.baseline !== undefined) {
      line.baseline = round(f.baseline, Math.abs(f.baseline) < 100 ? 3 : 1);
      line.ratio = round(f.ratio ?? f.value / f.baseline, 3);
    }
    line.peak_rss_mb = rss;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

export function round(x: number, digits = 1): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

export function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

export function say(text: string): void {
  process.stderr.write(`${text}\n`);
}
