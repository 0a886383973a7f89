/**
 * The embedded shop's relay lock: a file created exclusively, holding who took it. It is a
 * courtesy (a clear message for a second relay): a holder killed with -9 leaves the file, so a
 * file whose process is gone on this host is taken over. Fencing in the log is what guarantees
 * no duplicates even when two relays both believe they hold the lock.
 */
import { hostname } from 'node:os';
import { openSync, readFileSync, rmSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Who holds the relay lock. */
export interface RelayHolder {
  pid: number;
  host: string;
  since: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function tryLockFile(file: string, holder: RelayHolder): true | RelayHolder {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let current: RelayHolder;
    try {
      current = JSON.parse(readFileSync(file, 'utf8')) as RelayHolder;
    } catch {
      current = { pid: 0, host: hostname(), since: 0 };
    }
    if (current.host === hostname() && (current.pid === 0 || !alive(current.pid)) && current.pid !== process.pid) {
      rmSync(file, { force: true });
      continue;
    }
    return current;
  }
  return { pid: 0, host: hostname(), since: 0 };
}

export function releaseLockFile(file: string): void {
  rmSync(file, { force: true });
}
