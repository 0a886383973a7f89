import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` at any depth (none when it does not exist, or is removed meanwhile). */
export function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** How many files under `dir` at any depth have a name `counts` takes; 0 for what cannot be read (a count for a report, never a failure). */
export function countFilesUnder(dir: string, counts: (name: string) => boolean): number {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (e.isDirectory()) n += countFilesUnder(join(dir, e.name), counts);
    else if (counts(e.name)) n++;
  }
  return n;
}
