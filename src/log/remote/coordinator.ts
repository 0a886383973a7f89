/**
 * This process's side of the coordination log: appends records to it and replays it into the
 * `CoordinationView`, catching up before every read of state or offsets and after every append
 * (read-your-writes, and what other processes wrote up to now).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker } from './broker.js';
import { COORDINATION_TOPIC, encodeRecord, type CoordinationRecord } from './coordination-record.js';
import { CoordinationView, type TxOutcome } from './coordination-view.js';
import { LogError } from '../types.js';

const READ_BATCH = 1000;
/** How long a committer waits to read its own transaction record back. */
const DECIDE_TIMEOUT_MS = 30_000;

/** A threshold between n and 2n. */
function jittered(n: number): number {
  return n + Math.floor(Math.random() * n);
}

export class Coordinator {
  readonly view = new CoordinationView();
  private ready: Promise<void> | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  private exists = false;
  private snapshotting = false;
  private snapshotThreshold: number;

  constructor(
    private readonly broker: Broker,
    /** Records between snapshots of the view (0: never). */
    private readonly snapshotEvery: number,
  ) {
    this.snapshotThreshold = jittered(snapshotEvery);
  }

  /** Creates the coordination topic once (one partition: one total order for every decision). */
  private ensureTopic(): Promise<void> {
    this.ready ??= this.broker.ensureTopic(COORDINATION_TOPIC, 1).then(
      () => undefined,
      (err: unknown) => {
        this.ready = null;
        throw err;
      },
    );
    return this.ready;
  }

  /**
   * Replays every record appended before this call. Concurrent callers share one replay; a caller
   * arriving while one runs waits for the next, which starts after it (and so sees its writes).
   */
  catchUp(): Promise<void> {
    if (!this.running) {
      this.running = this.replay().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.catchUp();
      });
    return this.queued;
  }

  private async replay(): Promise<void> {
    // Reading creates nothing (`streamrec doctor` and `topics` only look): no topic, nothing to replay.
    if (!this.exists) {
      if ((await this.broker.partitions(COORDINATION_TOPIC)) === null) return;
      this.exists = true;
    }
    for (;;) {
      const records = await this.broker.read(COORDINATION_TOPIC, 0, this.view.next, READ_BATCH, 0);
      if (records.length === 0) {
        this.maybeSnapshot();
        return;
      }
      for (const r of records) {
        if (r.offset < this.view.next) continue;
        this.view.apply(r.offset, typeof r.value === 'string' ? r.value : Buffer.from(r.value).toString('utf8'));
      }
    }
  }

  /**
   * Every so many records, writes the view as a snapshot and, once the replay finds it valid
   * (nothing landed between its `at` and it), trims the coordination log before it: a new
   * process then replays from the snapshot, not from the beginning. The threshold is jittered so
   * the processes of one deployment do not all write one at the same moment.
   */
  private maybeSnapshot(): void {
    if (this.snapshotting || this.snapshotEvery <= 0 || this.view.next - this.view.snapshotAt < this.snapshotThreshold) return;
    this.snapshotting = true;
    this.snapshotThreshold = jittered(this.snapshotEvery);
    const record = this.view.snapshot();
    void (async () => {
      const offset = await this.append(record);
      while (this.view.next <= offset) await this.catchUp();
      if (this.view.snapshotAt === record.at) await this.broker.trimBefore(COORDINATION_TOPIC, 0, record.at);
    })()
      // A snapshot that failed is only a snapshot missed: the next one comes.
      .catch(() => undefined)
      .finally(() => {
        this.snapshotting = false;
      });
  }

  /** Appends a record (in chunks if large); resolves with the offset of its last part. */
  async append(record: CoordinationRecord): Promise<number> {
    await this.ensureTopic();
    const texts = encodeRecord(record, 'id' in record ? record.id : randomUUID());
    const now = Date.now();
    const first = await this.broker.append(
      COORDINATION_TOPIC,
      0,
      texts.map((value) => ({ key: null, value, timestamp: now, headers: null })),
    );
    return first + texts.length - 1;
  }

  /** Appends a record and replays up to it: what it changed is in the view when this resolves. */
  async write(record: CoordinationRecord): Promise<void> {
    const offset = await this.append(record);
    await this.catchUp();
    while (this.view.next <= offset) {
      await sleep(5);
      await this.catchUp();
    }
  }

  /** Appends a transaction record and returns its outcome, the same one every process reaches. */
  async decide(record: CoordinationRecord & { t: 'tx' }): Promise<TxOutcome> {
    this.view.watch(record.id);
    try {
      const offset = await this.append(record);
      // Waits for the outcome, not the offset: chunks interleaved with other writers' records may
      // end past `offset`.
      const deadline = Date.now() + DECIDE_TIMEOUT_MS;
      for (;;) {
        await this.catchUp();
        const outcome = this.view.outcome(record.id);
        if (outcome) return outcome;
        if (Date.now() > deadline) throw new LogError(`transaction ${record.id}: no outcome ${DECIDE_TIMEOUT_MS / 1000} s after appending it at coordination offset ${offset}`);
        await sleep(5);
      }
    } finally {
      this.view.unwatch(record.id);
    }
  }
}
