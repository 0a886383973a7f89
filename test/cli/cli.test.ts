import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/sse-client.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('streamrec CLI', () => {
  it('lists its verbs, and each verb has help with examples', () => {
    const help = run(['--help']);
    assert.equal(help.code, 0);
    for (const verb of ['up', 'generate', 'topics', 'tail']) assert.match(help.stdout, new RegExp(`\\n  ${verb}\\b`));
    const gen = run(['generate', 'ratings', '--help']);
    assert.equal(gen.code, 0);
    assert.match(gen.stdout, /Examples:/);
    assert.match(gen.stdout, /--late-fraction/);
  });

  it('answers a user mistake with one clear line and a non-zero exit, never a stack trace', () => {
    const { dir, cleanup } = tempDir();
    try {
      const cases: [string[], RegExp][] = [
        [['generate', 'ratings', '--rate', 'fast'], /--rate <n>.*'fast' is invalid/],
        [['generate', 'ratings', '--data-dir', dir, '--movies', '/no/such/movies.csv'], /movie catalogue not found: \/no\/such\/movies.csv/],
        [['generate', 'ratings', '--data-dir', dir, '--span', '1h'], /--span goes with --from/],
        [['tail', 'nosuchtopic', '--data-dir', dir], /unknown topic: nosuchtopic/],
        [['topics', '--data-dir', '/etc/passwd/sub'], /cannot use data directory/],
        [['frobnicate'], /unknown command 'frobnicate'/],
      ];
      for (const [args, message] of cases) {
        const r = run(args);
        assert.notEqual(r.code, 0, args.join(' '));
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for: ${args.join(' ')}`);
      }
    } finally {
      cleanup();
    }
  });

  it('generates ratings, then lists them with topics and prints them with tail', () => {
    const { dir, cleanup } = tempDir();
    try {
      const gen = run(['generate', 'ratings', '--rate', 'max', '--count', '3000', '--seed', '4'], { STREAMREC_DATA_DIR: dir });
      assert.equal(gen.code, 0, gen.stderr);
      assert.match(gen.stderr, /3,000 sent/);
      const topics = run(['topics', '--json', '--data-dir', dir]);
      const parsed = JSON.parse(topics.stdout) as { topics: { name: string; partitions: { endOffset: number }[] }[] };
      const ratings = parsed.topics.find((t) => t.name === 'ratings')!;
      assert.equal(ratings.partitions.reduce((s, p) => s + p.endOffset, 0), 3000);
      const table = run(['topics', '--data-dir', dir]);
      assert.match(table.stdout, /ratings\s+4\s+3000/);
      const tail = run(['tail', 'ratings', '--from-beginning', '--max', '3', '--data-dir', dir]);
      assert.equal(tail.code, 0);
      const lines = tail.stdout.trim().split('\n');
      assert.equal(lines.length, 3);
      for (const line of lines) assert.deepEqual(Object.keys(JSON.parse(line)).sort(), ['movieId', 'rating', 'timestamp', 'userId']);
    } finally {
      cleanup();
    }
  });

  it('up runs generator, processor and server until Ctrl-C, then exits cleanly with everything acknowledged kept', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const child = spawn(process.execPath, [BIN, 'up', '--rate', '500', '--port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      await waitFor(() => /dashboard at http:\/\/localhost:\d+/.test(stderr), 20_000, 'the dashboard URL');
      const url = /dashboard at (http:\/\/localhost:\d+)/.exec(stderr)![1]!;
      await waitFor(() => /processed [1-9][\d,]*/.test(stderr), 20_000, 'processing');
      const health = (await (await fetch(`${url}/metrics/health`)).json()) as { status: string };
      assert.ok(['healthy', 'idle', 'no_data'].includes(health.status));
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
      assert.match(stderr, /stopped cleanly/);
      const topics = JSON.parse(run(['topics', '--json', '--data-dir', dir]).stdout) as {
        topics: { name: string; partitions: { endOffset: number }[] }[];
        groups: { group: string; committed: number }[];
      };
      const ratings = topics.topics.find((t) => t.name === 'ratings')!.partitions.reduce((s, p) => s + p.endOffset, 0);
      const final = /generated ([\d,]+)/g;
      let last = '0';
      for (let m = final.exec(stderr); m; m = final.exec(stderr)) last = m[1]!;
      assert.equal(ratings, Number(last.replace(/,/g, '')), 'every acknowledged rating is in the log');
      const processed = topics.groups.filter((g) => g.group === 'pipeline.ratings').reduce((s, g) => s + g.committed, 0);
      assert.ok(processed > 0, 'the processor checkpointed on the way out');
    } finally {
      cleanup();
    }
  });

  it('imports a MovieLens directory into the data dir, and names what is missing', () => {
    const { dir, cleanup } = tempDir();
    try {
      const ok = run(['dataset', 'import', resolve(process.cwd(), 'test/fixtures/movielens/ml-1m'), '--data-dir', dir]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /ratings/);
      const missing = run(['dataset', 'import', resolve(process.cwd(), 'test/fixtures/movielens/no-ratings'), '--data-dir', dir]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no ratings file in .*: expected one of ratings\.csv, rating\.csv, ratings\.dat, u\.data/);
      assert.doesNotMatch(missing.stderr, /\n\s+at /);
    } finally {
      cleanup();
    }
  });
});
