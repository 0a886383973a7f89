/**
 * HTTP ingestion for a pipeline that declares `ingest`: body checks, a per-client token bucket,
 * and group commit — the requests that arrive in the same event-loop turn (or while an append is
 * in flight) share one `producer.send`, and each is answered with its own offsets only once that
 * append has committed. Shared by `POST /events/<name>` and a pipeline's own routes (`POST /clicks`).
 */
import { DecodeError } from '../events/codec.js';
import type { EventLog, Producer, ProducerRecord, SendResult } from '../log/types.js';
import { diskWriteProblem } from '../util/disk-errors.js';
import { RetryLaterError, StreamrecError } from '../util/errors.js';
import type { PipelineIngest } from './pipeline-declaration.js';

/** `202` of an ingestion route: what was appended and where, in request order. */
export interface IngestAccepted {
  accepted: number;
  offsets: { partition: number; offset: number }[];
}

/** Seconds a client is told to wait when the log cannot take writes. */
export const LOG_UNAVAILABLE_RETRY_S = 2;

/** While the disk refuses writes, one append is tried this often; requests in between get a 503 at once. */
export const DISK_PROBE_EVERY_MS = 1000;

/** The disk problem ingestion is waiting out. */
export interface IngestWriteProblem {
  kind: 'full' | 'read-only';
  /** What the log said, e.g. `SQLITE_FULL: database or disk is full`. */
  message: string;
  /** Epoch ms of the first refused append. */
  since: number;
}

/** A body an ingestion route refuses (400), naming what was wrong. */
export class BadEventsError extends StreamrecError {
  override name = 'BadEventsError';
  constructor(message: string) {
    super(message, { code: 'bad-events', status: 400 });
  }
}

interface Pending {
  records: ProducerRecord[];
  resolve: (results: SendResult[]) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  maxRecords?: number;
  lingerMs?: number;
  busyWithinMs?: number;
  /** How often one append is tried while the disk refuses writes (default DISK_PROBE_EVERY_MS). */
  probeEveryMs?: number;
  /** Told once when the disk starts refusing appends (a problem) and once when one succeeds again (null). */
  onDiskProblem?: (problem: IngestWriteProblem | null) => void;
}

/**
 * One append at a time; requests queued meanwhile go together in the next. With the embedded log
 * an append is synchronous, so what shares it is what arrived in the same turn of the loop — and,
 * under load (the previous append less than `busyWithinMs` ago), what arrives within `lingerMs`
 * more (Kafka's linger.ms): a quiet server appends at once, a busy one in fewer, larger batches.
 *
 * A full or read-only disk closes the gate: requests are answered 503 at once without touching
 * the log, and one append a `probeEveryMs` is let through to find out whether space came back; the
 * first that succeeds opens the gate again. A refused append stored nothing (SQLite rolled it
 * back), so nothing acknowledged is lost and nothing refused is half-written.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;
  private inFlight = false;
  /** Appends made (one `producer.send` each), and the requests they carried. */
  appends = 0;
  requests = 0;
  private blocked: { problem: IngestWriteProblem; refusal: RetryLaterError; retryAt: number } | null = null;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly options: GroupCommitOptions = {},
  ) {}

  private lastFlushAt = -Infinity;

  /** The disk problem appends are waiting out, or null. */
  get writeProblem(): IngestWriteProblem | null {
    return this.blocked?.problem ?? null;
  }

  append(records: ProducerRecord[]): Promise<SendResult[]> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.schedule();
    });
  }

  /** The 503 to answer now while the gate is closed and it is not yet time to try again; else null. */
  private refusal(): RetryLaterError | null {
    const b = this.blocked;
    if (!b) return null;
    const waitMs = b.retryAt - Date.now();
    if (waitMs <= 0) return null;
    return new RetryLaterError(b.refusal.message, { code: b.refusal.code, status: 503, retryAfterSeconds: waitMs / 1000, cause: b.refusal.cause });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    const busy = performance.now() - this.lastFlushAt < (this.options.busyWithinMs ?? 5);
    if (busy) setTimeout(() => void this.flush(), this.options.lingerMs ?? 1);
    else setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.lastFlushAt = performance.now();
    /** Records one append carries at most (a request is never split). */
    const maxRecords = this.options.maxRecords ?? 50_000;
    let n = 0;
    let take = 0;
    while (take < this.pending.length && (take === 0 || n + this.pending[take]!.records.length <= maxRecords)) n += this.pending[take++]!.records.length;
    const batch = this.pending.splice(0, take);
    if (batch.length === 0) return;
    // Queued before the gate closed: refused without another try until the next probe.
    const refused = this.refusal();
    if (refused) {
      for (const p of batch) p.reject(refused);
      if (this.pending.length > 0) this.schedule();
      return;
    }
    this.inFlight = true;
    const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((p) => p.records);
    try {
      this.appends++;
      this.requests += batch.length;
      const results = await this.producer.send(this.topic, records);
      this.opened();
      let at = 0;
      for (const p of batch) {
        p.resolve(results.slice(at, at + p.records.length));
        at += p.records.length;
      }
    } catch (err) {
      const refused = logUnavailable(err);
      this.closeOnDiskProblem(err, refused);
      for (const p of batch) p.reject(refused);
    } finally {
      this.inFlight = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private closeOnDiskProblem(err: unknown, refusal: RetryLaterError): void {
    const kind = diskWriteProblem(err);
    if (!kind) return;
    const retryAt = Date.now() + (this.options.probeEveryMs ?? DISK_PROBE_EVERY_MS);
    if (this.blocked && this.blocked.problem.kind === kind) {
      this.blocked.retryAt = retryAt;
      return;
    }
    const problem: IngestWriteProblem = { kind, message: rootMessage(err), since: this.blocked?.problem.since ?? Date.now() };
    this.blocked = { problem, refusal, retryAt };
    this.options.onDiskProblem?.(problem);
  }

  private opened(): void {
    if (!this.blocked) return;
    this.blocked = null;
    this.options.onDiskProblem?.(null);
  }
}

/** The innermost error's `code: message` (what SQLite or the file system said). */
function rootMessage(err: unknown): string {
  let e = err;
  for (let depth = 0; depth < 5 && e instanceof Error && e.cause !== undefined; depth++) e = e.cause;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === 'string' && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/**
 * The 503 for an append that threw: nothing of it is durable, so nothing is acknowledged. A disk
 * problem is named (full, read-only) without the server's paths.
 */
export function logUnavailable(err: unknown): RetryLaterError {
  const disk = diskWriteProblem(err);
  const code = (err as { code?: unknown }).code;
  const what = disk
    ? `the disk is ${disk}: ${rootMessage(err)}`
    : typeof code === 'string' && code !== 'log-error' ? `${code}: ${(err as Error).message}` : (err as Error)?.message ?? String(err);
  return new RetryLaterError(`the event log cannot take writes (${what}); nothing was acknowledged: retry later`, {
    code: 'log-unavailable',
    status: 503,
    retryAfterSeconds: LOG_UNAVAILABLE_RETRY_S,
    cause: err,
  });
}

/** Per-client token buckets: `rate` tokens a second, holding at most one second's worth. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(
    readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes `cost` tokens of `client`'s bucket; returns 0, or the seconds to wait before it could. */
  take(client: string, cost: number): number {
    if (this.rate <= 0) return 0;
    const t = this.now();
    this.sweep(t);
    let b = this.buckets.get(client);
    if (!b) this.buckets.set(client, (b = { tokens: this.rate, at: t }));
    b.tokens = Math.min(this.rate, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return (Math.min(cost, this.rate) - b.tokens) / this.rate;
  }

  /** Forgets full buckets now and then (they are what a new bucket would be). */
  private sweep(t: number): void {
    if (t - this.lastSweep < 10_000) return;
    this.lastSweep = t;
    for (const [client, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.rate >= this.rate) this.buckets.delete(client);
  }
}

/** Ingestion into one pipeline's source topic. */
export class Ingester<E = unknown> {
  readonly commit: GroupCommit;
  readonly limiter: TokenBuckets;
  private ready: Promise<unknown> | null = null;

  constructor(
    private readonly log: EventLog,
    readonly pipeline: string,
    readonly topic: string,
    readonly spec: PipelineIngest<E>,
    notify: (line: string) => void = (line) => process.stderr.write(`streamrec: ${line}\n`),
  ) {
    this.commit = new GroupCommit(log.producer(), topic, {
      onDiskProblem: (problem) => notify(ingestDiskLine(pipeline, problem)),
    });
    this.limiter = new TokenBuckets(spec.rateLimit?.() ?? 0);
  }

  /** The disk problem ingestion is waiting out (its routes answer 503 meanwhile), or null. */
  get writeProblem(): IngestWriteProblem | null {
    return this.commit.writeProblem;
  }

  /** Checks a body (one item or an array of them) into records; throws a 400 naming the problem. */
  records(body: unknown, now = Date.now()): ProducerRecord[] {
    const { spec } = this;
    let items: unknown[];
    if (Array.isArray(body)) {
      if (body.length === 0) throw new BadEventsError('empty array: send at least one event');
      if (body.length > spec.maxBatch) throw new BadEventsError(`too many events in one request: ${body.length} (at most ${spec.maxBatch})`);
      items = body;
    } else if (typeof body === 'object' && body !== null) {
      items = [body];
    } else {
      // A string is a body sent as text (text/plain): JSON must say so in its content type.
      const got = body === undefined ? 'no body' : body === null ? 'null' : typeof body === 'string' ? 'text: send it with "Content-Type: application/json"' : typeof body;
      throw new BadEventsError(`the body must be a JSON object or an array of them, got ${got}`);
    }
    const records: ProducerRecord[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const where = Array.isArray(body) ? `event ${i}: ` : '';
      try {
        const event = spec.stamp(items[i], now);
        const value = spec.codec.encode(event);
        spec.codec.decode(value);
        records[i] = { key: spec.key?.(event) ?? null, value, timestamp: now };
      } catch (err) {
        if (err instanceof BadEventsError || err instanceof DecodeError) throw new BadEventsError(`${where}${err.message}`);
        throw err;
      }
    }
    return records;
  }

  /** Checks, rate-limits and appends a body; resolves once every event is durable. */
  async accept(body: unknown, client: string): Promise<IngestAccepted> {
    const records = this.records(body);
    const wait = this.limiter.take(client, records.length);
    if (wait > 0) {
      throw new RetryLaterError(`too many events from ${client}: at most ${this.limiter.rate} a second per client`, {
        code: 'rate-limited',
        status: 429,
        retryAfterSeconds: wait,
      });
    }
    await this.ensureTopic();
    const results = await this.commit.append(records);
    return { accepted: results.length, offsets: results.map((r) => ({ partition: r.partition, offset: r.offset })) };
  }

  private async ensureTopic(): Promise<void> {
    this.ready ??= this.log.ensureTopic(this.topic, { partitions: this.spec.partitions ?? 1 }).catch((err: unknown) => {
      this.ready = null;
      throw logUnavailable(err);
    });
    await this.ready;
  }
}

/** The one line ingestion prints when the disk starts refusing its appends, or accepts them again. */
export function ingestDiskLine(pipeline: string, problem: IngestWriteProblem | null): string {
  if (!problem) return `ingestion into ${pipeline} resumed: the event log takes writes again`;
  const fix = problem.kind === 'full' ? 'free space on the data dir\'s disk' : 'make the data dir writable again';
  return `ingestion into ${pipeline} paused: the disk is ${problem.kind} (${problem.message}); POSTs answer 503 with Retry-After until it can write again (${fix}; it resumes by itself)`;
}

const ingesters = new WeakMap<EventLog, Map<string, Ingester>>();

/** The one ingester of a pipeline over a log (its routes and `POST /events/<name>` share its group commit and buckets). */
export function ingesterFor(log: EventLog, declaration: { name: string; sourceTopic: string; ingest?: PipelineIngest }): Ingester | null {
  if (!declaration.ingest) return null;
  let byName = ingesters.get(log);
  if (!byName) ingesters.set(log, (byName = new Map()));
  let ingester = byName.get(declaration.name);
  if (!ingester) byName.set(declaration.name, (ingester = new Ingester(log, declaration.name, declaration.sourceTopic, declaration.ingest)));
  return ingester;
}
