/**
 * The outbox relay: moves the shop's outbox rows to the log, exactly once.
 *
 * Each round reads up to `batch` committed outbox rows after the relay's position (in commit
 * order: see ShopStore.readOutbox) and writes, in ONE log transaction, each row's record to its
 * topic and the new position (`putState('relay', <shop id>, …)`). The
 * transaction also `expectState`s the position the relay read, so:
 * - a kill -9 before the commit leaves the old position and no records (the rows are read again);
 *   after it, records and position together — neither skips nor repeats a row;
 * - two relays on one shop fence each other: the one that commits second gets `fenced`, writes
 *   nothing, re-reads the position and goes on from there.
 * A courtesy lock (PostgreSQL advisory lock / a lock file) makes a second relay wait with a clear
 * message instead of spinning on fences.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLog, LogValue, ProducerRecord } from '../../../log/types.js';
import { StreamrecError } from '../../../util/errors.js';
import { COMMERCE_TOPICS } from '../commerce-contract.js';
import type { BackgroundService, ServiceContext } from '../../pipeline-declaration.js';
import { shopOptions } from '../shop/commerce-generator.js';
import { openShop, positionAfter, type OutboxPosition, type OutboxRow, type RelayHolder, type ShopStore } from '../shop/shop-store.js';

export const RELAY_STATE_NAMESPACE = 'relay';
/** Partitions of the topics the relay creates (records keyed by customer id). */
export const COMMERCE_PARTITIONS = 4;

export interface RelayOptions {
  /** Rows per round (one log transaction). */
  batch?: number;
  /** Wait between rounds when nothing is readable. */
  pollMs?: number;
  /** Return once nothing is readable. */
  exitWhenIdle?: boolean;
  /** Take the courtesy lock (default true); fencing holds either way. */
  lock?: boolean;
  notify?: (message: string) => void;
}

export interface RelayStatus {
  relayed: number;
  rate: number;
  position: OutboxPosition | null;
  /** Outbox rows not yet relayed (refreshed about once a second). */
  lag: number | null;
  fenced: number;
  waitingFor: RelayHolder | null;
}

function holderText(h: RelayHolder): string {
  return `pid ${h.pid} on ${h.host}${h.since ? ` since ${new Date(h.since).toISOString()}` : ''}`;
}

/** A page's records by topic: each row already is its record (see OutboxRow). */
function toRecords(rows: OutboxRow[]): Map<string, ProducerRecord[]> {
  const byTopic = new Map<string, ProducerRecord[]>();
  for (const r of rows) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push(r);
  }
  return byTopic;
}

export class OutboxRelay {
  readonly status: RelayStatus = { relayed: 0, rate: 0, position: null, lag: null, fenced: 0, waitingFor: null };
  private readonly batch: number;
  private readonly pollMs: number;
  /** The lag count in flight (run in the background: a backlog's reads do not wait for it). */
  private lagQuery: Promise<void> | null = null;

  constructor(private readonly shop: ShopStore, private readonly log: EventLog, private readonly options: RelayOptions = {}) {
    this.batch = options.batch ?? 2000;
    this.pollMs = options.pollMs ?? 50;
  }

  private async readPosition(): Promise<{ raw: LogValue | null; position: OutboxPosition | null }> {
    const raw = await this.log.getState(RELAY_STATE_NAMESPACE, this.shop.shopId);
    const text = raw === null ? null : typeof raw === 'string' ? raw : Buffer.from(raw).toString();
    return { raw, position: text === null ? null : (JSON.parse(text) as OutboxPosition) };
  }

  private async takeLock(signal: AbortSignal): Promise<boolean> {
    const me: RelayHolder = { pid: process.pid, host: hostname(), since: Date.now() };
    for (;;) {
      const got = await this.shop.tryRelayLock(me);
      if (got === true) {
        if (this.status.waitingFor) this.options.notify?.(`took the relay lock of ${this.shop.description}`);
        this.status.waitingFor = null;
        return true;
      }
      if (!this.status.waitingFor) {
        this.options.notify?.(`another relay holds ${this.shop.description} (${holderText(got)}); waiting for it to stop`);
      }
      this.status.waitingFor = got;
      try {
        await sleep(500, undefined, { signal });
      } catch {
        return false;
      }
    }
  }

  /** Counts the rows after `position` in the background; rows relayed meanwhile are taken off when it lands. */
  private refreshLag(position: OutboxPosition | null): void {
    if (this.lagQuery) return;
    const relayedAt = this.status.relayed;
    this.lagQuery = this.shop
      .pending(position)
      .then((n) => {
        this.status.lag = Math.max(0, n - (this.status.relayed - relayedAt));
      })
      .catch(() => {}) // status only: the next read reports a lost connection
      .finally(() => {
        this.lagQuery = null;
      });
  }

  async run(signal: AbortSignal): Promise<void> {
    for (const topic of COMMERCE_TOPICS) await this.log.ensureTopic(topic, { partitions: COMMERCE_PARTITIONS });
    if (this.options.lock !== false && !(await this.takeLock(signal))) return;
    try {
      let { raw, position } = await this.readPosition();
      this.status.position = position;
      const started = Date.now();
      let lagAt = 0;
      let pageSize = this.batch;
      // The next page, read while the log commits the current one (discarded if fenced).
      let prefetched: Promise<OutboxRow[]> | null = null;
      const discard = () => {
        prefetched?.catch(() => {});
        prefetched = null;
      };
      while (!signal.aborted) {
        // The lag is counted once a second, and every 10 s through a backlog (pages grown): the
        // count waits in line with the reads, and the rows relayed are taken off it meanwhile.
        if (Date.now() - lagAt > (pageSize > this.batch ? 10_000 : 1000)) {
          lagAt = Date.now();
          this.refreshLag(position);
        }
        const rows = await (prefetched ?? this.shop.readOutbox(position, pageSize));
        prefetched = null;
        if (rows.length === 0) {
          // Nothing readable. On PostgreSQL committed rows may still wait behind an older
          // transaction in flight anywhere on the server (xmin): idle means none are left.
          await this.lagQuery;
          this.status.lag = await this.shop.pending(position);
          lagAt = Date.now();
          if (this.options.exitWhenIdle && this.status.lag === 0) return;
          try {
            await sleep(this.pollMs, undefined, { signal });
          } catch {
            return;
          }
          continue;
        }
        const next = positionAfter(rows[rows.length - 1]!);
        // A backlog: full pages grow (fewer round trips and log commits), up to 8× the batch, and
        // the next one is asked for at once, so the database reads it while this one is written.
        pageSize = rows.length === pageSize ? Math.min(pageSize * 2, this.batch * 8) : this.batch;
        if (rows.length >= this.batch) prefetched = this.shop.readOutbox(next, pageSize);
        const nextRaw = JSON.stringify(next);
        const tx = this.log.transaction();
        tx.expectState(RELAY_STATE_NAMESPACE, this.shop.shopId, raw);
        for (const [topic, records] of toRecords(rows)) tx.send(topic, records);
        tx.putState(RELAY_STATE_NAMESPACE, this.shop.shopId, nextRaw);
        try {
          await tx.commit();
        } catch (err) {
          discard();
          if (err instanceof StreamrecError && err.code === 'fenced') {
            // Another relay moved the position: nothing was written; go on from where it is.
            this.status.fenced++;
            ({ raw, position } = await this.readPosition());
            this.status.position = position;
            continue;
          }
          throw err;
        }
        raw = nextRaw;
        position = next;
        this.status.position = next;
        this.status.relayed += rows.length;
        if (this.status.lag !== null) this.status.lag = Math.max(0, this.status.lag - rows.length);
        const elapsed = Date.now() - started;
        this.status.rate = elapsed > 0 ? (this.status.relayed * 1000) / elapsed : 0;
      }
      discard();
    } finally {
      await this.lagQuery;
      await this.shop.releaseRelayLock();
    }
  }
}

export function formatRelayStatus(s: RelayStatus): string {
  if (s.waitingFor) return `relay waiting: ${holderText(s.waitingFor)} holds the shop`;
  const pos = s.position ? (s.position.xid !== undefined ? `${s.position.xid}/${s.position.id}` : String(s.position.id)) : 'start';
  return `relayed ${s.relayed} (${Math.round(s.rate)}/s) · position ${pos} · lag ${s.lag ?? '?'}${s.fenced ? ` · fenced ${s.fenced}` : ''}`;
}

/** The outbox relay as a background service (`streamrec up`, `streamrec relay commerce`). */
export function commerceRelayService(ctx: ServiceContext): BackgroundService {
  let relay: OutboxRelay | null = null;
  return {
    name: 'commerce relay',
    kind: 'relay',
    async run(signal) {
      const shop = await openShop(shopOptions(ctx.flags, ctx.dataDir));
      try {
        relay = new OutboxRelay(shop, ctx.log, { exitWhenIdle: ctx.exitWhenIdle, lock: ctx.flags.lock !== false, notify: ctx.notify });
        await relay.run(signal);
      } finally {
        await shop.close();
      }
    },
    status: () => (relay ? formatRelayStatus(relay.status) : 'relay starting'),
  };
}
