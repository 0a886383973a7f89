/**
 * One scheduled retrain as a child process: `streamrec train --from-lake --no-eval` on the data
 * dir, the same code a user runs by hand, in its own process (its memory and CPU never touch the
 * server's event loop), at a lower CPU priority so requests keep theirs. Its output goes to
 * `<data-dir>/logs/retrain.log`; the outcome is one line: what it trained, or why it failed.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RetrainOutcome, RetrainReason } from '../recommend/train/retrain-schedule.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
/** The niceness of the training process: below the server's. */
const NICENESS = 10;
/** How long a stopped training may take to exit after SIGINT before it is killed. */
const KILL_AFTER_MS = 15_000;
/** The end of the child's stderr kept to explain a failure. */
const KEEP_STDERR = 16 * 1024;

export interface TrainChildOptions {
  dataDir: string;
  /** The models to train at each run (empty: train's default). */
  models: () => readonly string[];
  logFile: string;
}

/** The arguments of the training child. */
export function trainArgs(dataDir: string, models: readonly string[]): string[] {
  return ['train', '--from-lake', '--no-eval', '--data-dir', dataDir, ...(models.length > 0 ? ['--models', models.join(',')] : [])];
}

/** A runner for RetrainScheduler that trains in a child process. */
export function trainInChild(options: TrainChildOptions): (reason: RetrainReason, signal: AbortSignal) => Promise<RetrainOutcome> {
  return (reason, signal) => new Promise<RetrainOutcome>((resolve) => {
    const args = trainArgs(options.dataDir, options.models());
    mkdirSync(dirname(options.logFile), { recursive: true });
    const log = createWriteStream(options.logFile, { flags: 'a' });
    // A log that cannot be written (a full disk) must not take the server down: the training goes on.
    log.on('error', () => {});
    log.write(`\n[${new Date().toISOString()}] retrain (${reason === 'schedule' ? 'schedule' : 'new ratings'}): streamrec ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, NICENESS);
      } catch {
        // not permitted here: it runs at the server's priority
      }
    }
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-KEEP_STDERR);
    });
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGINT');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      killer.unref();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    let settled = false;
    const finish = (outcome: RetrainOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(killer);
      signal.removeEventListener('abort', stop);
      log.end(`[${new Date().toISOString()}] retrain ${outcome.ok ? 'done' : 'failed'}: ${outcome.message}\n`);
      resolve(outcome);
    };
    child.once('error', (err) => finish({ ok: false, message: `could not start the training: ${err.message}` }));
    child.once('close', (code, sig) => {
      if (code === 0) finish({ ok: true, message: trainSummary(stderr) || stdout.trim().split('\n')[0] || 'trained' });
      else if (signal.aborted) finish({ ok: false, message: 'stopped: the server is shutting down (nothing half-trained was committed)' });
      else finish({ ok: false, message: failureLine(stderr) ?? `the training exited with ${sig ?? `code ${code}`} (see ${options.logFile})` });
    });
  });
}

/** "als trained → v1; popularity skipped (same data)" from train's per-model lines. */
export function trainSummary(stderr: string): string {
  const parts: string[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    const trained = /^streamrec: (\w+) trained in (.+) → (\S+)$/.exec(line.trim());
    if (trained) parts.push(`${trained[1]} ${trained[3]} (${trained[2]})`);
    const skipped = /^streamrec: (\w+) skipped: /.exec(line.trim());
    if (skipped) parts.push(`${skipped[1]} unchanged (same data)`);
  }
  return parts.join('; ');
}

/** The CLI's one-line error (`streamrec: …`), the last one the child printed. */
function failureLine(stderr: string): string | undefined {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('streamrec: ') && !/^streamrec: (training |\w+ trained in |\w+ skipped: )/.test(l));
  const last = lines[lines.length - 1];
  return last?.replace(/^streamrec: /, '');
}
