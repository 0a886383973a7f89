/**
 * `npm run bench -- soak`: runs `streamrec up` at 5,000 ratings/s for 10 minutes (SOAK_MINUTES to
 * change) with 200 SSE clients joining and leaving, and prints the server's RSS over time, its
 * event-loop delay p99, the errors seen and the events lost.
 *
 * Baselines in the same run: RSS of the last minute against the second minute (flat when ≈ 1), and
 * the event-loop delay p99 under load against that of the same `up` with nothing to do
 * (`--no-generate`, no clients) for 30 s before. Lost = ratings acknowledged into the log that the
 * processor's committed positions or the raw lake do not hold once `up` has stopped.
 * Goal (issue 16): RSS last minute within 10 % of the second, loop p99 ≤ 50 ms, 0 errors, 0 lost.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLog } from '../src/log/open-log.js';
import { printFigures, say, type Figure } from './report.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '../src/cli/main.js');
const probe = join(here, 'soak-probe.js');

interface ProbeLine {
  t: number;
  rssMb: number;
  heapMb: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startUp(dataDir: string, port: number, probeFile: string, args: string[]): { child: ChildProcess; stderr: string[] } {
  const stderr: string[] = [];
  const child = spawn(process.execPath, ['--import', probe, cli, 'up', '--port', String(port), '--data-dir', dataDir, ...args], {
    env: { ...process.env, SOAK_PROBE_FILE: probeFile, SOAK_PROBE_INTERVAL_MS: '5000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split(/[\n\r]/);
    partial = lines.pop()!;
    for (const l of lines) if (l.trim()) stderr.push(l);
  });
  return { child, stderr };
}

async function waitHealthy(port: number, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/metrics/health`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('up did not answer /metrics/health in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

function readProbe(file: string): ProbeLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProbeLine);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]! : NaN;
}

/** Errors the server printed: lines a user would read as a failure. */
function errorLines(lines: string[]): string[] {
  return lines.filter((l) => /\berror\b|failed|exception|uncaught|lost ownership/i.test(l));
}

export async function run(): Promise<void> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 10);
  const rate = Number(process.env.SOAK_RATE ?? 5000);
  const clients = Number(process.env.SOAK_CLIENTS ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'streamrec-soak-'));
  try {
    // Baseline: the same `up`, idle (nothing generated, no clients), 30 s.
    const idleDir = join(dir, 'idle');
    const idleProbe = join(dir, 'idle-probe.jsonl');
    const idlePort = await freePort();
    const idle = startUp(idleDir, idlePort, idleProbe, ['--no-generate']);
    await waitHealthy(idlePort);
    await new Promise((r) => setTimeout(r, 30_000));
    await stop(idle.child);
    const idleLines = readProbe(idleProbe);
    const idleLoopP99 = median(idleLines.map((l) => l.loopP99Ms));
    say(`baseline: idle up, event-loop delay p99 ${idleLoopP99.toFixed(1)} ms (median of ${idleLines.length} 5-s intervals), RSS ${median(idleLines.map((l) => l.rssMb)).toFixed(0)} MB`);

    const dataDir = join(dir, 'data');
    const probeFile = join(dir, 'probe.jsonl');
    const port = await freePort();
    say(`soak: up --rate ${rate} for ${minutes} min with ${clients} SSE clients joining and leaving (data dir ${dataDir})`);
    const up = startUp(dataDir, port, probeFile, ['--rate', String(rate)]);
    await waitHealthy(port);
    const startedAt = Date.now();
    const sse = fork(join(here, 'soak-sse-child.js'), [`http://127.0.0.1:${port}/metrics/stream`, String(clients)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let httpErrors = 0;
    let polls = 0;
    const endAt = startedAt + minutes * 60_000;
    let nextReport = startedAt + 60_000;
    while (Date.now() < endAt) {
      await new Promise((r) => setTimeout(r, 5000));
      polls++;
      try {
        const r = await fetch(`http://127.0.0.1:${port}/metrics/health`);
        if (r.status !== 200) httpErrors++;
        await r.arrayBuffer();
      } catch {
        httpErrors++;
      }
      if (up.child.exitCode !== null) throw new Error(`up exited early (code ${up.child.exitCode}): ${up.stderr.slice(-5).join(' | ')}`);
      if (Date.now() >= nextReport) {
        const lines = readProbe(probeFile).filter((l) => l.t > nextReport - 60_000);
        const minute = Math.round((nextReport - startedAt) / 60_000);
        say(`minute ${minute}: RSS ${median(lines.map((l) => l.rssMb)).toFixed(0)} MB (heap ${median(lines.map((l) => l.heapMb)).toFixed(0)} MB), event-loop p99 ${Math.max(...lines.map((l) => l.loopP99Ms)).toFixed(1)} ms, ${up.stderr.at(-1)?.slice(0, 160) ?? ''}`);
        nextReport += 60_000;
      }
    }
    const sseResult = await new Promise<{ errors: number; errorSamples: string[]; connects: number; frames: number }>((resolve) => {
      sse.once('message', (m) => resolve(m as never));
      sse.send('stop');
    });
    const exitCode = await stop(up.child);
    const lines = readProbe(probeFile);
    const inMinute = (m: number) => lines.filter((l) => l.t > startedAt + (m - 1) * 60_000 && l.t <= startedAt + m * 60_000);
    const second = median(inMinute(2).map((l) => l.rssMb));
    const last = median(inMinute(minutes).map((l) => l.rssMb));
    const loadLoop = lines.filter((l) => l.t > startedAt + 60_000 && l.t <= endAt).map((l) => l.loopP99Ms);
    const loopP99 = p99(loadLoop);
    const serverErrors = errorLines(up.stderr);

    // Lost events: what the log acknowledged against what the processor committed and the lake holds.
    const log = openLog({ dataDir });
    let acknowledged = 0;
    let committed = 0;
    try {
      const topic = await log.topic('ratings');
      acknowledged = topic ? topic.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0) : 0;
      committed = (await log.committed('pipeline.ratings', 'ratings')).reduce((s, p) => s + p.offset, 0);
    } finally {
      await log.close();
    }
    const lakeRows = await new Promise<number>((resolve, reject) => {
      const sql = spawn(process.execPath, [cli, 'sql', 'SELECT count(*) AS n, count(DISTINCT (source_partition, source_offset)) AS d FROM ratings_raw', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      sql.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
      sql.once('exit', (code) => {
        if (code !== 0) return reject(new Error(`streamrec sql exited ${code}`));
        const row = JSON.parse(out.trim().split('\n')[0]!) as { n: number; d: number };
        if (row.n !== row.d) say(`lake: ${row.n - row.d} duplicate raw rows`);
        resolve(Number(row.n) === Number(row.d) ? Number(row.n) : -1);
      });
    });
    const lost = Math.max(0, acknowledged - committed) + (lakeRows < 0 ? acknowledged : Math.abs(acknowledged - lakeRows));
    const errors = sseResult.errors + httpErrors + serverErrors.length + (exitCode === 0 ? 0 : 1);

    say(`RSS: second minute ${second.toFixed(0)} MB, last minute ${last.toFixed(0)} MB (ratio ${(last / second).toFixed(3)}); over time: ${[...Array(minutes).keys()].map((m) => median(inMinute(m + 1).map((l) => l.rssMb)).toFixed(0)).join(' ')} MB`);
    say(`event-loop delay p99 under load ${loopP99.toFixed(1)} ms vs idle ${idleLoopP99.toFixed(1)} ms`);
    say(`SSE: ${sseResult.connects} connections, ${sseResult.frames} frames, ${sseResult.errors} errors${sseResult.errorSamples.length ? ` (${sseResult.errorSamples.join('; ')})` : ''}; health polls ${polls}, ${httpErrors} failed; up exit code ${exitCode}; server error lines ${serverErrors.length}${serverErrors.length ? `: ${serverErrors.slice(0, 3).join(' | ')}` : ''}`);
    say(`events: ${acknowledged.toLocaleString('en-US')} acknowledged in ratings, ${committed.toLocaleString('en-US')} committed by the processor, ${lakeRows.toLocaleString('en-US')} distinct rows in ratings_raw → lost ${lost}`);
    const figures: Figure[] = [
      { name: 'rss_last_minute', value: last, unit: 'MB', baseline: second, ratio: last / second },
      { name: 'event_loop_p99', value: loopP99, unit: 'ms', baseline: idleLoopP99, ratio: loopP99 / idleLoopP99 },
      { name: 'errors', value: errors, unit: 'count' },
      { name: 'lost_events', value: lost, unit: 'count', baseline: acknowledged, ratio: acknowledged ? lost / acknowledged : 0 },
      { name: 'ratings_per_s', value: acknowledged / ((endAt - startedAt) / 1000), unit: 'events/s', baseline: rate, ratio: acknowledged / ((endAt - startedAt) / 1000) / rate },
    ];
    printFigures('soak', figures, Math.max(...lines.map((l) => l.rssMb)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
