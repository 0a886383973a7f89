/**
 * The server flags `serve` and `up` share: parsed and checked by commander (a bad value is one
 * line), handed to the server only when given (else the server reads STREAMREC_*), and a real
 * `streamrec serve --host 0.0.0.0` with no token warns while one with `--admin-token` does not.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { addServerOptions, serverAccess, type ServerFlags } from '../../src/cli/server-options.js';
import { waitFor } from '../helpers/sse-client.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

function parse(args: string[]): ServerFlags {
  const command = addServerOptions(new Command('serve')).exitOverride().configureOutput({ writeErr: () => {} });
  command.parse(args, { from: 'user' });
  return command.opts<ServerFlags>();
}

describe('server flags', () => {
  it('reads the access flags; origins may repeat, be comma-separated, or follow one flag', () => {
    const flags = parse(['--admin-token', 'tok.1', '--cors-origin', 'https://a.example,http://localhost:5173/', '--cors-origin', 'https://b.example', '--sse-max-clients', '50']);
    assert.deepEqual(serverAccess(flags), { adminToken: 'tok.1', corsOrigins: ['https://a.example', 'http://localhost:5173', 'https://b.example'], sseMaxClients: 50 });
    assert.deepEqual(serverAccess(parse(['--cors-origin', 'https://a.example', 'https://b.example'])).corsOrigins, ['https://a.example', 'https://b.example']);
    assert.deepEqual(serverAccess(parse(['--cors-origin', '*'])).corsOrigins, ['*']);
  });

  it('leaves out what is not given, so the server reads the environment', () => {
    assert.deepEqual(serverAccess(parse([])), {});
    assert.equal(parse([]).host, '127.0.0.1');
  });

  it('refuses bad values with a message saying what is expected', () => {
    const cases: [string[], RegExp][] = [
      [['--cors-origin', 'example.com'], /not an origin: give scheme, host and port only/],
      [['--cors-origin', 'https://example.com/path'], /not an origin/],
      [['--sse-max-clients', '0'], /--sse-max-clients/],
      [['--admin-token', 'two words'], /expected a token without spaces/],
    ];
    for (const [args, message] of cases) assert.throws(() => parse(args), message, args.join(' '));
  });
});

describe('streamrec serve beyond this machine', () => {
  async function serveOutput(args: string[]): Promise<string> {
    const data = tempDir();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.STREAMREC_ADMIN_TOKEN;
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', data.dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      await waitFor(() => /dashboard and API at http/.test(stderr), 60_000, 'the server up');
    } finally {
      // Only the start-up lines matter here (a signal this early may find no handler yet, so the exit code is not checked).
      child.kill('SIGINT');
      await exited;
      data.cleanup();
    }
    return stderr;
  }

  it('warns in one line without an admin token, and not with one', async () => {
    const open = await serveOutput(['--host', '0.0.0.0']);
    const warnings = open.split('\n').filter((l) => l.includes('warning'));
    assert.equal(warnings.length, 1, open);
    assert.match(warnings[0]!, /^streamrec: warning: listening on 0\.0\.0\.0 with no admin token: .*set --admin-token <token> \(or STREAMREC_ADMIN_TOKEN\)/);
    const guarded = await serveOutput(['--host', '0.0.0.0', '--admin-token', 'tok']);
    assert.doesNotMatch(guarded, /warning/);
  });
});
