// Runs `streamrec doctor` (and the verbs that prepare its data dir) as a user does, and reads its
// report: the text lines by check name, and the --json report.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment without the services a developer may have configured: each test sets what it checks. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(out)) if (name.startsWith('STREAMREC_')) delete out[name];
  return { ...out, ...env };
}

export function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: cleanEnv(env), timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As `cli`, without blocking this process (for a test that serves something the CLI calls). */
export function cliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CLI step that must succeed. */
export function must(args: string[], env: Record<string, string> = {}): CliResult {
  const r = cli(args, env);
  assert.equal(r.code, 0, `streamrec ${args.join(' ')} failed:\n${r.stderr}`);
  return r;
}

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'problem' | 'skipped';
  message: string;
  fix?: string;
}

export interface Doctor extends CliResult {
  /** The text report's lines by check name (the line as printed). */
  lines: Map<string, string>;
}

const LINE = /^(ok|warn|PROBLEM|skipped) +(\S+): /;

/** `streamrec doctor` in text; every line but the header and the summary is a check. */
export function doctor(dataDir: string, port: number, env: Record<string, string> = {}): Doctor {
  return parseDoctor(cli(['doctor', '--data-dir', dataDir, '--port', String(port)], env));
}

export async function doctorAsync(dataDir: string, port: number, env: Record<string, string> = {}): Promise<Doctor> {
  return parseDoctor(await cliAsync(['doctor', '--data-dir', dataDir, '--port', String(port)], env));
}

function parseDoctor(r: CliResult): Doctor {
  const all = r.stdout.trimEnd().split('\n');
  assert.match(all[0] ?? '', /^streamrec doctor: /, r.stdout + r.stderr);
  assert.match(all.at(-1) ?? '', /^doctor: \d+ problems?, \d+ warnings? in \d+ checks/, r.stdout);
  const lines = new Map<string, string>();
  for (const line of all.slice(1, -1)) {
    const m = LINE.exec(line);
    assert.ok(m, `a check line: ${line}`);
    lines.set(m[2]!, line);
  }
  return { ...r, lines };
}

/** `streamrec doctor --json`, checked for its shape. */
export function doctorJson(dataDir: string, port: number, env: Record<string, string> = {}): { code: number | null; ok: boolean; checks: Check[] } {
  const r = cli(['doctor', '--json', '--data-dir', dataDir, '--port', String(port)], env);
  const report = JSON.parse(r.stdout) as { ok: unknown; checks: Check[] };
  assert.deepEqual(Object.keys(report).sort(), ['checks', 'ok']);
  assert.equal(typeof report.ok, 'boolean');
  for (const c of report.checks) {
    assert.ok(['ok', 'warn', 'problem', 'skipped'].includes(c.status), JSON.stringify(c));
    assert.equal(typeof c.name, 'string');
    assert.equal(typeof c.message, 'string');
    if (c.status === 'warn' || c.status === 'problem') assert.equal(typeof c.fix, 'string', `${c.name} names its fix`);
    else assert.equal(c.fix, undefined, `${c.name}: no fix for ${c.status}`);
    assert.doesNotMatch(c.message, /\n/);
  }
  assert.equal(report.ok, !report.checks.some((c) => c.status === 'problem'));
  assert.equal(r.code, report.ok ? 0 : 1, r.stderr);
  return { code: r.code, ok: report.ok as boolean, checks: report.checks };
}

/** The PROBLEM lines of a report. */
export function problems(d: Doctor): string[] {
  return [...d.lines.values()].filter((l) => l.startsWith('PROBLEM'));
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  await new Promise((res) => server.close(res));
  return port;
}
