import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsync a file or directory, so a rename or a commit after it cannot outlive it in a power cut. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
