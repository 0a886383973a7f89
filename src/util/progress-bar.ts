// A progress bar with a rate-based ETA for long phases (imports, training iterations): the
// label, a bar, percent, done/total and the time left, redrawn by util/progress.ts.
import { formatDuration } from './duration.js';

export interface PhaseClock {
  /** The line for `done` of `total` units in phase `label`; the clock restarts when the label changes. */
  line(label: string, done: number, total: number): string;
}

export function phaseClock(now: () => number = () => performance.now()): PhaseClock {
  let phase = '';
  let started = 0;
  return {
    line(label, done, total) {
      if (label !== phase) {
        phase = label;
        started = now();
      }
      return progressLine(label, done, total, now() - started);
    },
  };
}

/** `label [#####.....]  50% 5/10 ETA 3s` — the ETA is elapsed × (left / done), shown once 1 % is done. */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const eta = fraction >= 0.01 && fraction < 1 ? ` ETA ${formatDuration((elapsedMs * (1 - fraction)) / fraction)}` : '';
  return `${label} ${bar} ${pct}${eta}`;
}
