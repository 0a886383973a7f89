import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

/** Runs `streamrec <args> | head -1` in a shell; returns streamrec's exit status (PIPESTATUS) and output. */
function intoHead(args: string[], dataDir: string) {
  const cmd = `"${process.execPath}" "${BIN}" ${args.join(' ')} --data-dir "${dataDir}" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`;
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 60_000 });
  const status = /status=(\d+)/.exec(r.stderr)?.[1];
  return { status: status === undefined ? null : Number(status), stdout: r.stdout, stderr: r.stderr.replace(/status=\d+\n?/, '') };
}

describe('verbs that print, piped into head', () => {
  it('exit 0 with no stack trace when the reader closes early (EPIPE), as the seeds pipe the console consumer', () => {
    const data = tempDir();
    try {
      const gen = spawnSync(process.execPath, [BIN, 'generate', 'ratings', '--rate', 'max', '--count', '20000', '--seed', '3', '--data-dir', data.dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(gen.status, 0, gen.stderr);
      const topics = intoHead(['topics'], data.dir);
      assert.equal(topics.status, 0, topics.stderr);
      assert.match(topics.stdout, /^topic\s+partitions/);
      const tail = intoHead(['tail', 'ratings', '--from-beginning'], data.dir);
      assert.equal(tail.status, 0, tail.stderr);
      assert.equal(tail.stdout.trim().split('\n').length, 1);
      assert.ok('userId' in (JSON.parse(tail.stdout) as object));
      for (const r of [topics, tail]) assert.doesNotMatch(r.stderr, /EPIPE|Error|at /, 'no stack trace');
    } finally {
      data.cleanup();
    }
  });
});
