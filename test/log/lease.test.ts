/**
 * Ownership leases on a real embedded log: acquire, a race of standbys, expiry, fencing, a
 * heartbeat refused after a takeover, release, and an owner killed with -9 on this host.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { acquireLease, LEASE_NAMESPACE, LeaseHeldError, LeaseLostError, leaseKey, readLease, type Lease } from '../../src/log/lease.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { FencedError, type EventLog } from '../../src/log/types.js';
import { tempDir } from '../helpers/tmp.js';

const KEY = leaseKey('pipeline', 'ratings');
const TTL = 1000;

async function withLog(body: (log: EventLog, dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    await body(log, dir);
  } finally {
    await log.close();
    cleanup();
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A transaction fenced by `lease` that writes one state key: what a checkpoint does. */
async function fencedWrite(log: EventLog, lease: Lease, value: string): Promise<void> {
  const tx = log.transaction();
  lease.fence(tx);
  tx.putState('work', 'out', value);
  await tx.commit();
}

describe('lease', () => {
  it('is taken at once when free, with epoch 1 and the owner named; readLease says it is live', async () => {
    await withLog(async (log) => {
      assert.equal(await readLease(log, KEY), null);
      const lease = (await acquireLease(log, KEY, { ttlMs: TTL }))!;
      try {
        assert.equal(lease.epoch, 1);
        assert.equal(lease.owner.pid, process.pid);
        assert.equal(lease.owner.host, hostname());
        assert.equal(lease.takeoverNote(), null);
        const info = (await readLease(log, KEY, { ttlMs: TTL }))!;
        assert.equal(info.epoch, 1);
        assert.deepEqual(info.owner, lease.owner);
        assert.equal(info.live, true);
        assert.ok(info.heartbeatAt !== null && Math.abs(info.heartbeatAt - Date.now()) < 60_000);
        // The stored value is the contract's JSON.
        const raw = JSON.parse((await log.getState(LEASE_NAMESPACE, KEY)) as string) as Record<string, unknown>;
        assert.deepEqual(Object.keys(raw).sort(), ['epoch', 'owner']);
        await fencedWrite(log, lease, 'a');
        assert.equal(await log.getState('work', 'out'), 'a');
      } finally {
        await lease.release();
      }
    });
  });

  it('refuses without standby, naming the owner in one line', async () => {
    await withLog(async (log) => {
      const owner = (await acquireLease(log, KEY, { ttlMs: TTL, label: 'ratings' }))!;
      try {
        await assert.rejects(acquireLease(log, KEY, { ttlMs: TTL, label: 'ratings', standby: false, refuseHint: 'stop it first' }), (err: unknown) => {
          assert.ok(err instanceof LeaseHeldError);
          assert.equal(err.code, 'lease-held');
          assert.equal(err.message, `ratings is owned by pid ${process.pid} on ${hostname()} since ${owner.owner.since}; stop it first`);
          assert.ok(!err.message.includes('\n'));
          return true;
        });
      } finally {
        await owner.release();
      }
    });
  });

  it('lets a standby take over at once when the owner releases, with the next epoch', async () => {
    await withLog(async (log) => {
      const owner = (await acquireLease(log, KEY, { ttlMs: 60_000 }))!;
      const messages: string[] = [];
      const standby = acquireLease(log, KEY, { ttlMs: 60_000, heartbeatMs: 20, label: 'ratings', onWait: (_h, m) => messages.push(m) });
      await waitFor(() => messages.length > 0);
      assert.match(messages[0]!, new RegExp(`^ratings is owned by pid ${process.pid} on .+ since .+; waiting as a standby \\(takes over within 60 s of the owner stopping\\)$`));
      await owner.release();
      const next = (await standby)!;
      try {
        assert.equal(next.epoch, 2);
        assert.match(next.takeoverNote()!, new RegExp(`^took over ratings from pid ${process.pid} on .+ \\(epoch 2\\)$`));
        // The released owner's fenced writes are refused.
        await assert.rejects(fencedWrite(log, owner, 'stale'), FencedError);
      } finally {
        await next.release();
      }
    });
  });

  it('expires when the heartbeat is older than the TTL; the old owner is fenced and its heartbeat refused', async () => {
    await withLog(async (log) => {
      const old = (await acquireLease(log, KEY, { ttlMs: TTL, label: 'ratings' }))!;
      await fencedWrite(log, old, 'old');
      // A standby whose clock is 10 TTLs ahead sees the heartbeat expired, as it would after a
      // pause of that long (SIGSTOP): the takeover needs no waiting in the test.
      const later = () => Date.now() + 10 * TTL;
      const fresh = (await acquireLease(log, KEY, { ttlMs: TTL, now: later }))!;
      try {
        assert.equal(fresh.epoch, 2);
        assert.match(fresh.takeoverNote()!, /which stopped without releasing it \(epoch 2\)$/);
        // The paused owner comes back: its commit is refused and writes nothing …
        await assert.rejects(fencedWrite(log, old, 'stale'), FencedError);
        assert.equal(await log.getState('work', 'out'), 'old');
        assert.equal(await old.isLostBy(new FencedError(LEASE_NAMESPACE, KEY)), true);
        const lost = await old.lostError();
        assert.ok(lost instanceof LeaseLostError);
        assert.equal(lost.message, `lost ownership of ratings to pid ${process.pid} on ${hostname()} since ${fresh.owner.since}: stopping without writing`);
        await fencedWrite(log, fresh, 'new');
        assert.equal(await log.getState('work', 'out'), 'new');
      } finally {
        await old.release();
        await fresh.release();
      }
      // Releasing a lost lease leaves the new owner's alone.
      assert.equal((await readLease(log, KEY))!.epoch, 2);
    });
  });

  it('finds out by its own heartbeat that it lost the lease', async () => {
    await withLog(async (log) => {
      const old = (await acquireLease(log, KEY, { ttlMs: TTL, heartbeatMs: 30, label: 'ratings' }))!;
      const fresh = (await acquireLease(log, KEY, { ttlMs: TTL, now: () => Date.now() + 10 * TTL }))!;
      try {
        await waitFor(() => old.lost.aborted);
        assert.ok(old.lost.reason instanceof LeaseLostError);
        assert.match((old.lost.reason as Error).message, /^lost ownership of ratings to pid \d+ on .+: stopping without writing$/);
        // The refused heartbeat wrote nothing: the new owner's heartbeat is in place.
        const hb = JSON.parse((await log.getState(LEASE_NAMESPACE, `${KEY}#hb`)) as string) as { id: string };
        assert.equal(hb.id, fresh.owner.id);
      } finally {
        await fresh.release();
        await old.release();
      }
    });
  });

  it('lets exactly one of several racing standbys win, on one log or several connections', async () => {
    await withLog(async (log, dir) => {
      const others = [openEmbeddedLog({ dataDir: dir }), openEmbeddedLog({ dataDir: dir })];
      try {
        const logs = [log, ...others, log];
        const results = await Promise.allSettled(logs.map((l) => acquireLease(l, KEY, { ttlMs: 60_000, standby: false })));
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, 'one winner');
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof LeaseHeldError, String(r.reason));
        const winner = (won[0] as PromiseFulfilledResult<Lease | null>).value!;
        assert.equal(winner.epoch, 1);
        await winner.release();
      } finally {
        for (const l of others) await l.close();
      }
    });
  });

  it('keeps an owner that renews through its fenced commits even without its timer', async () => {
    await withLog(async (log) => {
      const owner = (await acquireLease(log, KEY, { ttlMs: TTL, heartbeatMs: 60_000 }))!;
      try {
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setTimeout(r, TTL / 2));
          await fencedWrite(log, owner, String(i));
        }
        // 1.5 TTLs since it was taken, but the last commit renewed it.
        const info = (await readLease(log, KEY, { ttlMs: TTL }))!;
        assert.equal(info.live, true);
        await assert.rejects(acquireLease(log, KEY, { ttlMs: TTL, standby: false }), LeaseHeldError);
      } finally {
        await owner.release();
      }
    });
  });

  it('is free at once after its owner on this host was killed (its pid is gone and it missed two heartbeats)', async () => {
    await withLog(async (log) => {
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      const pid = Number(dead.stdout);
      assert.ok(pid > 0);
      const at = Date.now() - 500;
      const tx = log.transaction();
      tx.putState(LEASE_NAMESPACE, KEY, JSON.stringify({ epoch: 7, owner: { id: 'killed', pid, host: hostname(), since: new Date(at).toISOString() } }));
      tx.putState(LEASE_NAMESPACE, `${KEY}#hb`, JSON.stringify({ at, id: 'killed' }));
      await tx.commit();
      assert.equal((await readLease(log, KEY, { ttlMs: 60_000 }))!.live, true, 'live by its heartbeat alone');
      const lease = (await acquireLease(log, KEY, { ttlMs: 60_000, heartbeatMs: 100, standby: false }))!;
      assert.equal(lease.epoch, 8);
      await lease.release();
      // Released: the heartbeat is gone, the epoch stays for the next owner.
      const info = (await readLease(log, KEY))!;
      assert.equal(info.live, false);
      assert.equal(info.heartbeatAt, null);
      assert.equal((await acquireLease(log, KEY, { standby: false }).then(async (l) => (await l!.release(), l!.epoch))), 9);
    });
  });

  it('stops waiting when its signal aborts', async () => {
    await withLog(async (log) => {
      const owner = (await acquireLease(log, KEY, { ttlMs: 60_000 }))!;
      const controller = new AbortController();
      const waiting = acquireLease(log, KEY, { ttlMs: 60_000, heartbeatMs: 20, signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      assert.equal(await waiting, null);
      await owner.release();
    });
  });
});
