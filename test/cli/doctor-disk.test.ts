// `streamrec doctor` on a real small file system (tmpfs, mounted as root; skipped otherwise): full,
// it is one PROBLEM line naming the fix (and nothing else is blamed); with space back it passes;
// read-only, it says so and how to fix it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { doctor, doctorJson, freePort, must, problems } from './doctor-cli.js';

/** Mounts a tmpfs of `size` at dir; the reason it could not, or null. */
function mountTmpfs(dir: string, size: string): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `mount failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // still busy: detach it now, freed when released
  }
}

/** Writes a file until the disk refuses: the disk is then full. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
}

describe('streamrec doctor on a full or read-only disk', () => {
  let tmp: ReturnType<typeof tempDir>;
  let mnt: string;
  let mounted: string | null = 'not mounted';

  before(() => {
    tmp = tempDir('streamrec-doctor-disk-');
    mnt = join(tmp.dir, 'mnt');
    mkdirSync(mnt);
    mounted = mountTmpfs(mnt, '8m');
  });
  after(() => {
    if (mounted === null) unmount(mnt);
    tmp.cleanup();
  });

  it('names a full disk in one line with its fix, blames nothing else, and passes once space returns; names a read-only one', async (t) => {
    if (mounted !== null) {
      t.skip(`needs a tmpfs mount (${mounted})`);
      return;
    }
    const dataDir = join(mnt, 'data');
    const port = await freePort();
    must(['generate', 'ratings', '--rate', 'max', '--count', '500', '--seed', '2', '--data-dir', dataDir]);
    must(['process', 'ratings', '--exit-when-idle', '--idle-timeout', '300ms', '--data-dir', dataDir]);
    const filler = join(mnt, 'filler');
    fill(filler);

    const full = doctor(dataDir, port);
    assert.equal(full.code, 1, full.stdout);
    assert.deepEqual(problems(full).map((l) => l.split(':')[0]), ['PROBLEM  data-dir.space'], full.stdout);
    assert.match(full.lines.get('data-dir.space')!, /^PROBLEM {2}data-dir\.space: the disk is full: a test write failed with ENOSPC; 0 B free of 8\.0 MiB .* — fix: free space on the disk holding .*\/data \(`df -h .*`\); streamrec's writers keep what they acknowledged and resume by themselves/);
    assert.match(full.lines.get('log') ?? full.lines.get('log.integrity') ?? '', /^(skipped +log: not checked: SQLite cannot open .* while the disk is full|ok +log\.integrity)/);
    const json = doctorJson(dataDir, port);
    assert.equal(json.checks.find((c) => c.name === 'data-dir.space')?.status, 'problem');

    rmSync(filler);
    const freed = doctor(dataDir, port);
    assert.equal(freed.code, 0, freed.stdout);
    assert.match(freed.lines.get('data-dir.space')!, /^warn +data-dir\.space: low on space: [\d.]+ MiB free of 8\.0 MiB/, 'a small disk is a warning');
    assert.match(freed.lines.get('log.integrity')!, /^ok /);
    assert.match(freed.lines.get('pipeline.ratings.lag')!, /^ok .*caught up/);

    execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'pipe' });
    try {
      const readOnly = doctor(dataDir, port);
      assert.equal(readOnly.code, 1, readOnly.stdout);
      assert.match(readOnly.lines.get('data-dir')!, /^PROBLEM {2}data-dir: .*\/data is on a read-only file system \(EROFS\).* — fix: remount it read-write, or use --data-dir on a writable disk/);
      assert.deepEqual(problems(readOnly).map((l) => l.split(':')[0]), ['PROBLEM  data-dir'], readOnly.stdout);
      assert.match(readOnly.lines.get('log') ?? readOnly.lines.get('log.integrity') ?? '', /^(skipped +log: not checked: SQLite cannot open .* on a read-only file system|ok +log\.integrity)/);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mnt], { stdio: 'pipe' });
    }
  });
});
