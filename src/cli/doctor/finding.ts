/**
 * What a doctor check returns: one finding per thing it looked at. A problem is something that
 * stops streamrec from working or loses or doubles data (exit 1); a warning is worth knowing but
 * harmless now; `skipped` is a check with nothing to look at (an unconfigured service).
 */
export type CheckStatus = 'ok' | 'warn' | 'problem' | 'skipped';

export interface Finding {
  /** Stable, dotted: `data-dir.space`, `pipeline.ratings.checkpoint`, `lake.ratings/raw` … */
  name: string;
  status: CheckStatus;
  /** One line: what was found. */
  message: string;
  /** One line: what to do about it (warnings and problems). */
  fix?: string;
}

export function ok(name: string, message: string): Finding {
  return { name, status: 'ok', message };
}

export function warn(name: string, message: string, fix: string): Finding {
  return { name, status: 'warn', message, fix };
}

export function problem(name: string, message: string, fix: string): Finding {
  return { name, status: 'problem', message, fix };
}

export function skipped(name: string, message: string): Finding {
  return { name, status: 'skipped', message };
}
