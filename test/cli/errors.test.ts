import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

// The real built CLI (dist/src/cli/main.js), as a user runs it.
const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

function run(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STREAMREC_')));
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 1 and exactly one line on stderr: `streamrec: <message>`, no stack. */
function assertOneLine(r: { code: number | null; stderr: string }, message: string | RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit 1 (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
  if (typeof message === 'string') assert.equal(lines[0], `streamrec: ${message}`, what);
  else assert.match(lines[0]!, message, what);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, what);
}

describe('the CLI error handler', () => {
  it('a bad STREAMREC_* variable stops any verb with one line naming it, exit 1', () => {
    const { dir, cleanup } = tempDir();
    try {
      assertOneLine(
        run(['topics', '--data-dir', dir], { STREAMREC_CACHE_SIZE: 'abc' }),
        'STREAMREC_CACHE_SIZE must be a whole number ≥ 0 (entries; 0 disables the cache), got "abc"',
        'bad cache size',
      );
      assertOneLine(run(['serve', '--data-dir', dir], { STREAMREC_PORT: '99999' }), 'STREAMREC_PORT must be a port number from 1 to 65535, got "99999"', 'bad port');
      assertOneLine(run(['serve', '--data-dir', dir, '--port', '0'], { STREAMREC_LOG_LEVEL: 'loud' }), /^streamrec: STREAMREC_LOG_LEVEL must be one of .*, got "loud"$/, 'bad log level');
      assertOneLine(run(['tail', 'ratings', '--data-dir', dir], { STREAMREC_CACHE_TTL: 'soon' }), /^streamrec: STREAMREC_CACHE_TTL must be a duration .*, got "soon"$/, 'bad TTL');
      // Help runs no verb, so it still shows.
      const help = run(['--help'], { STREAMREC_PORT: 'x' });
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Usage: streamrec/);
    } finally {
      cleanup();
    }
  });

  it('a user-facing error from a verb is one line, exit 1, whatever its class', () => {
    const { dir, cleanup } = tempDir();
    try {
      // UserError
      assertOneLine(run(['reset', 'nosuch', '--data-dir', dir]), /^streamrec: unknown pipeline: nosuch \(pipelines: .*\)$/, 'UserError');
      // CatalogueError (was recognised by a regex on its message)
      assertOneLine(run(['generate', 'ratings', '--data-dir', dir, '--movies', '/no/such/movies.csv']), 'movie catalogue not found: /no/such/movies.csv', 'CatalogueError');
      // LogError
      assertOneLine(run(['topics', '--data-dir', '/etc/passwd/sub']), /^streamrec: cannot use data directory /, 'LogError');
      // A bad --log names its bad part; STREAMREC_LOG is checked like every variable.
      assertOneLine(run(['topics', '--data-dir', dir, '--log', 'nats://host:port']), 'log "nats://host:port": server "host:port" has port "port", expected a number from 1 to 65535', 'bad --log');
      assertOneLine(run(['topics', '--data-dir', dir], { STREAMREC_LOG: 'sqlite' }), /^streamrec: STREAMREC_LOG must be embedded, kafka:\/\/.*, got "sqlite"$/, 'bad STREAMREC_LOG');
      // No Kafka server at that address: one line naming it.
      assertOneLine(run(['topics', '--data-dir', dir, '--log', 'kafka://127.0.0.1:1']), /Kafka server\(s\) 127\.0\.0\.1:1/, 'unreachable Kafka');
      // AnalyticsBusyError (was mapped by the analytics verb): a live pid holds the lock.
      mkdirSync(join(dir, 'lake'), { recursive: true });
      writeFileSync(join(dir, 'lake', '.analytics.lock'), `${process.pid}\n`);
      assertOneLine(run(['analytics', '--data-dir', dir]), new RegExp(`^streamrec: another \`streamrec analytics\` \\(pid ${process.pid}\\) is writing .*; wait for it to finish$`), 'AnalyticsBusyError');
    } finally {
      cleanup();
    }
  });

  it('anything else is an internal error with its stack, exit 70', () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'lake'), 'a file where the lake directory belongs');
      const r = run(['analytics', '--data-dir', dir]);
      assert.equal(r.code, 70, r.stderr);
      assert.match(r.stderr, /^streamrec: internal error: Error: EEXIST/);
      assert.match(r.stderr, /\n\s+at /);
    } finally {
      cleanup();
    }
  });
});
