/**
 * The real CLI in child processes, for tests that run the pipeline as its users do: `cli` runs a
 * command to its end, `start` a long-running one the test may kill, pause or wait for. The data
 * dir and log come from the arguments only (never from this process's environment).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');
const RUN_TIMEOUT_MS = 180_000;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningCli {
  child: ChildProcess;
  /** What it printed to stderr so far. */
  stderr(): string;
  /** Resolves once stderr matches `until` (a pattern, or a test of all of it); rejects if the process ends first. */
  waitFor(until: RegExp | ((stderr: string) => boolean)): Promise<void>;
  exited: Promise<CliResult>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.STREAMREC_LOG;
  delete env.STREAMREC_DATA_DIR;
  return env;
}

/** Starts `streamrec <args>`; killed after 3 minutes (a hung child fails the test instead of hanging it). */
export function start(args: string[], env: Record<string, string> = {}): RunningCli {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) });
  let stdout = '';
  let stderr = '';
  const waiters: { test: (stderr: string) => boolean; resolve: () => void }[] = [];
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...waiters]) {
      if (w.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<CliResult>((res) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
  return {
    child,
    stderr: () => stderr,
    exited,
    waitFor: (until) =>
      new Promise<void>((res, rej) => {
        const test = typeof until === 'function' ? until : (text: string) => until.test(text);
        if (test(stderr)) return res();
        waiters.push({ test, resolve: res });
        void exited.then((r) => rej(new Error(`streamrec ${args.join(' ')} exited (${r.code ?? r.signal}) before printing ${String(until)}:\n${r.stderr}`)));
      }),
  };
}

/** Runs `streamrec <args>` to its end. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return start(args, env).exited;
}

/** Runs `streamrec <args>` and asserts it exited with 0. */
export async function ok(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await cli(args, env);
  assert.equal(r.code, 0, `streamrec ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}`);
  return r;
}

export interface TailedRecord {
  partition: number;
  offset: number;
  headers: Record<string, string> | null;
  value: Record<string, unknown>;
}

/** Every record of `topic`, through `streamrec tail`. */
export async function tail(topic: string, where: string[]): Promise<TailedRecord[]> {
  const r = await ok(['tail', topic, '--from-beginning', '--exit-at-end', '--meta', ...where]);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TailedRecord);
}

/** The answer of `streamrec sql <query> --json` (a one-row query: that row). */
export async function sql<T>(query: string, where: string[]): Promise<T> {
  const r = await ok(['sql', query, '--json', ...where]);
  return JSON.parse(r.stdout.trim()) as T;
}

/** The final results in `metrics`, without processing_time (the one field that differs between runs), in window order. */
export async function finalResults(where: string[]): Promise<Record<string, unknown>[]> {
  return (await tail('metrics', where))
    .map((r) => r.value)
    .filter((v) => v.final === true)
    .map(({ processing_time: _, ...rest }) => rest)
    .sort((a, b) => `${String(a.window_type)} ${String(a.window_start)}`.localeCompare(`${String(b.window_type)} ${String(b.window_start)}`));
}
