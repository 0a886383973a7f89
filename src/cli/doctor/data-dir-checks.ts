/**
 * The data dir: it exists, this user can write in it (a real write, so a full or read-only disk
 * shows), its files belong to one user, and the disk has room.
 */
import { accessSync, closeSync, constants, fsyncSync, openSync, statSync, statfsSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { diskWriteProblem } from '../../util/disk-errors.js';
import type { DoctorContext } from './doctor-context.js';
import { ok, problem, warn, type Finding } from './finding.js';
import { formatBytes } from './units.js';

/** Below this much free space (or this fraction of the disk) the space check warns. */
export const LOW_SPACE_BYTES = 1024 ** 3;
export const LOW_SPACE_FRACTION = 0.05;

/** What a test write in the data dir met: nothing (null), a full or read-only disk, a refusal. */
export type WriteProbe = null | { kind: 'full' | 'read-only' | 'denied' | 'other'; code: string; message: string };

const PROBE_BYTES = 4096;

/** The data dir's findings; an empty list stops nothing else (the log checks say what they need). */
export function checkDataDir(ctx: DoctorContext): Finding[] {
  const dir = ctx.dataDir;
  let stats: Stats;
  try {
    stats = statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') {
      return [problem('data-dir', `${dir} does not exist`, 'check --data-dir / STREAMREC_DATA_DIR (a typo?); `streamrec up` creates a new one')];
    }
    return [problem('data-dir', `cannot read ${dir} (${code})`, 'point --data-dir at a directory this user can read and write')];
  }
  if (!stats.isDirectory()) return [problem('data-dir', `${dir} is not a directory`, 'point --data-dir (or STREAMREC_DATA_DIR) at a directory')];
  const probe = probeWrite(dir);
  return [accessFinding(dir, stats, probe), ...ownerFindings(dir, stats), spaceFinding(dir, probe)];
}

/** Writes, fsyncs and removes a small file in dir: what the disk really says, not what stat guesses. */
export function probeWrite(dir: string): WriteProbe {
  const path = join(dir, `.doctor-probe-${process.pid}`);
  let fd: number | null = null;
  try {
    fd = openSync(path, 'w');
    writeSync(fd, Buffer.alloc(PROBE_BYTES, 0x2e));
    fsyncSync(fd);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const disk = diskWriteProblem(err);
    const kind = disk ?? (code === 'EACCES' || code === 'EPERM' ? 'denied' : 'other');
    return { kind, code, message: (err as Error).message };
  } finally {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // never created, or the disk refuses even this: nothing to clean up
    }
  }
}

function accessFinding(dir: string, stats: Stats, probe: WriteProbe): Finding {
  if (probe?.kind === 'read-only') {
    return problem('data-dir', `${dir} is on a read-only file system (${probe.code}): nothing can be ingested, processed or trained`, 'remount it read-write, or use --data-dir on a writable disk');
  }
  if (probe?.kind === 'denied') {
    return problem('data-dir', `cannot write in ${dir}: permission denied (${probe.code}; the directory belongs to uid ${stats.uid}, this is uid ${uid()})`, `run streamrec as the directory's owner, or \`chown -R ${uid()} ${dir}\``);
  }
  if (probe?.kind === 'other') return problem('data-dir', `a test write in ${dir} failed: ${probe.message}`, 'check the disk and the directory (dmesg, ls -ld)');
  const unwritable = dataPaths(dir).filter((p) => !accessible(p.path, p.dir));
  if (unwritable.length > 0) {
    return problem('data-dir', `not writable by this user (uid ${uid()}): ${unwritable.map((p) => p.path).join(', ')}`, `\`chown -R ${uid()} ${dir}\`, or run streamrec as the files' owner`);
  }
  return ok('data-dir', `${dir} exists and takes writes`);
}

/** Files of the data dir owned by another user than the dir: a streamrec run as its owner cannot write them (someone ran it with sudo). */
function ownerFindings(dir: string, stats: Stats): Finding[] {
  const others = dataPaths(dir).filter((p) => p.uid !== stats.uid);
  if (others.length === 0) return [];
  const owners = [...new Set(others.map((p) => p.uid))].join(', ');
  return [
    warn(
      'data-dir.owner',
      `${others.map((p) => p.path).join(', ')} ${others.length === 1 ? 'belongs' : 'belong'} to uid ${owners}, the data dir to uid ${stats.uid}: a run as uid ${stats.uid} cannot write ${others.length === 1 ? 'it' : 'them'}`,
      `\`chown -R ${stats.uid} ${dir}\` (and run streamrec as one user)`,
    ),
  ];
}

function spaceFinding(dir: string, probe: WriteProbe): Finding {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  const total = fs.blocks * fs.bsize;
  const share = total > 0 ? free / total : 0;
  const figures = `${formatBytes(free)} free of ${formatBytes(total)} (${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%)`;
  const fix = `free space on the disk holding ${dir} (\`df -h ${dir}\`); streamrec's writers keep what they acknowledged and resume by themselves when space returns`;
  if (probe?.kind === 'full') return problem('data-dir.space', `the disk is full: a test write failed with ${probe.code}; ${figures}`, fix);
  if (free === 0) return problem('data-dir.space', `the disk is full: ${figures}`, fix);
  if (free < LOW_SPACE_BYTES || share < LOW_SPACE_FRACTION) {
    return warn('data-dir.space', `low on space: ${figures}; ingestion answers 503 once it is full`, `${fix.split(';')[0]}, or move the data dir to a larger disk`);
  }
  return ok('data-dir.space', figures);
}

interface DataPath {
  path: string;
  dir: boolean;
  uid: number;
}

/** The data dir and what streamrec keeps in it, those that exist. */
function dataPaths(dir: string): DataPath[] {
  const names = ['', 'log', 'log/log.db', 'log/log.db-wal', 'log/log.db-shm', 'lake', 'models', 'catalogue'];
  const out: DataPath[] = [];
  for (const name of names) {
    const path = name === '' ? dir : join(dir, name);
    try {
      const s = statSync(path);
      out.push({ path, dir: s.isDirectory(), uid: s.uid });
    } catch {
      // absent: nothing to check
    }
  }
  return out;
}

function accessible(path: string, dir: boolean): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK | (dir ? constants.X_OK : 0));
    return true;
  } catch {
    return false;
  }
}

function uid(): number {
  return process.getuid?.() ?? -1;
}
