import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small real file system (tmpfs) mounted on a fresh directory; needs root. */
export interface Tmpfs {
  dir: string;
  /** Takes every free byte with a filler file (the disk is then full); returns its path. */
  fill(): string;
  /** Deletes the filler: space returns. */
  free(): void;
  remountReadOnly(): void;
  remountWritable(): void;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeMb` MiB, or returns the reason it could not (not root, no mount): the
 * caller skips its test with that reason. Always `unmount()` in a finally.
 */
export function mountTmpfs(sizeMb: number): Tmpfs | string {
  const dir = mkdtempSync(join(tmpdir(), 'streamrec-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs (needs root): ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
  const filler = join(dir, 'filler');
  let mounted = true;
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      try {
        // Big writes, then ever smaller ones: the last free block goes too.
        for (let chunk = 1 << 20; chunk >= 512; chunk >>= 1) {
          const buf = Buffer.alloc(chunk, 0x55);
          for (;;) {
            try {
              if (writeSync(fd, buf) < chunk) break;
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      const s = statfsSync(dir);
      if (s.bavail > 1) throw new Error(`the filler left ${s.bavail} blocks free`);
      return filler;
    },
    free() {
      unlinkSync(filler);
    },
    remountReadOnly() {
      execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
    },
    remountWritable() {
      execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' });
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // Something still holds a file there (a test that failed before closing it): detach now,
        // the kernel frees it once the file is closed.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
