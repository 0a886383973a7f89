/**
 * kill -9 under load: the real `streamrec up` takes clicks posted concurrently, is SIGKILLed
 * mid-stream and restarted on the same data dir. Then `/clicks/data` totals equal the clicks the
 * topic holds — every 202-acknowledged click and any the kill cut off after its append (those got
 * no answer) — counted once each: no loss, no double count.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import { CLICKS_TOPIC } from '../../../src/pipelines/clicks/click-event.js';
import type { ClickAccepted, ClicksData } from '../../../src/pipelines/clicks/clicks-contract.js';
import { waitFor } from '../../helpers/sse-client.js';
import { tempDir } from '../../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

function startUp(dataDir: string): { child: ChildProcess; base: Promise<string>; exited: Promise<number | null>; stderr: () => string } {
  let stderr = '';
  const child = spawn(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', dataDir, '--rate', '50', '--movies', '200'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, STREAMREC_CLICKS_RATE_LIMIT: '0' },
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = waitFor(() => /dashboard at http:\/\/localhost:\d+/.test(stderr), 30_000, 'the dashboard URL')
    .then(() => /dashboard at (http:\/\/localhost:\d+)/.exec(stderr)![1]!.replace('localhost', '127.0.0.1'));
  return { child, base, exited, stderr: () => stderr };
}

describe('clicks survive kill -9 of `streamrec up`', () => {
  it('counts every click of the topic exactly once after a restart, and every acknowledged one is there', { timeout: 120_000 }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const first = startUp(dir);
      const base = await first.base;
      let acked = 0;
      let failed = 0;
      let stop = false;
      const poster = async (n: number) => {
        let i = 0;
        while (!stop) {
          const size = 1 + ((i++ + n) % 5);
          const body = JSON.stringify(Array.from({ length: size }, (_, k) => ({ type: (k + n) % 3 ? 'cheers' : 'hate' })));
          try {
            const res = await fetch(`${base}/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            if (res.status === 202) acked += ((await res.json()) as ClickAccepted).accepted;
            else failed++;
          } catch {
            failed++; // the kill: no answer, so not acknowledged
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const posters = Array.from({ length: 8 }, (_, n) => poster(n));
      await waitFor(() => acked >= 2000, 30_000, '2,000 acknowledged clicks');
      first.child.kill('SIGKILL');
      await first.exited;
      const ackedBeforeKill = acked;
      stop = true;
      await Promise.all(posters);
      assert.equal(acked, ackedBeforeKill, 'nothing acknowledged after the kill');

      const second = startUp(dir);
      try {
        const base2 = await second.base;
        const log = openEmbeddedLog({ dataDir: dir });
        let inTopic = 0;
        try {
          const info = await log.topic(CLICKS_TOPIC);
          inTopic = info!.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0);
        } finally {
          await log.close();
        }
        assert.ok(inTopic >= acked, `${inTopic} clicks in the topic, ${acked} acknowledged`);
        // The only clicks in the log beyond the acknowledged ones are those of the requests the kill
        // cut off: at most one in flight per poster, of at most 5 clicks each.
        assert.ok(inTopic - acked <= 8 * 5, `${inTopic - acked} unacknowledged clicks in the topic: more than the 8 requests in flight could hold`);

        let data: ClicksData | null = null;
        const deadline = Date.now() + 45_000;
        while (Date.now() < deadline) {
          const res = await fetch(`${base2}/clicks/data`);
          data = (await res.json()) as ClicksData;
          if (data.totals.cheers + data.totals.hate === inTopic && data.bins.every((b) => b.final)) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal(data!.totals.cheers + data!.totals.hate, inTopic, `totals ${JSON.stringify(data!.totals)} vs ${inTopic} in the topic (${acked} acknowledged, ${failed} requests unanswered)`);
        assert.ok(data!.totals.cheers + data!.totals.hate >= acked);
        // Still exact a moment later (nothing counted twice as the processor goes on).
        await new Promise((r) => setTimeout(r, 1000));
        const again = (await (await fetch(`${base2}/clicks/data`)).json()) as ClicksData;
        assert.deepEqual(again.totals, data!.totals);
        // up generated ratings too, and did not generate clicks.
        assert.equal((await fetch(`${base2}/metrics/health`)).status, 200);
      } finally {
        second.child.kill('SIGINT');
        assert.equal(await second.exited, 0, second.stderr());
      }
    } finally {
      cleanup();
    }
  });
});
