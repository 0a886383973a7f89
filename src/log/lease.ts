/**
 * Ownership leases on the log's keyed state: one owner per pipeline, per lake sink, per relay.
 *
 * A lease is two keys in namespace `leases`:
 * - `<kind>:<name>` holds `{"epoch": n, "owner": {id, pid, host, since}}`. It changes only when
 *   ownership changes: winning it writes epoch + 1 in a transaction that expects the old value,
 *   so of two standbys racing only one wins.
 * - `<kind>:<name>#hb` holds `{"at": <epoch ms>, "id": <owner id>}`, the heartbeat, written in a
 *   transaction that expects the owner value: an owner that lost the lease cannot even heartbeat.
 *
 * Fencing: every transaction an owner commits its work in also expects the owner value
 * (`Lease.fence`), so an owner paused past its TTL (SIGSTOP, a long GC, a suspended laptop) that
 * comes back after a standby took over gets `FencedError` and writes nothing. The fence renews the
 * heartbeat too: an owner busy catching up a backlog (whose loop may not let a timer run) keeps
 * its lease with every commit.
 *
 * Only the `EventLog` contract is used (`getState`, `transaction().expectState/putState`), so any
 * adapter with conditional state writes — and several hosts on a remote log — get the same rules.
 * Liveness compares heartbeat times written by another host with this host's clock: clocks must
 * agree to well within the TTL (fencing keeps the data right even when they do not).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { diskWriteProblem } from '../util/disk-errors.js';
import { StreamrecError } from '../util/errors.js';
import { FencedError, type EventLog, type LogValue, type Transaction } from './types.js';

export const LEASE_NAMESPACE = 'leases';
/** Default time-to-live: a lease whose heartbeat is older is free to take. */
export const DEFAULT_LEASE_TTL_MS = 5000;

export interface LeaseOwner {
  /** A random id per acquisition: what tells two owners apart even with the same pid. */
  id: string;
  pid: number;
  host: string;
  /** When ownership was won (ISO-8601). */
  since: string;
}

export interface LeaseValue {
  /** The fencing token: one more than the previous owner's. */
  epoch: number;
  owner: LeaseOwner;
}

/** What `readLease` reports (for `streamrec doctor`, status lines and messages). */
export interface LeaseInfo extends LeaseValue {
  /** The owner's last heartbeat (epoch ms); null once released. */
  heartbeatAt: number | null;
  /** Whether the heartbeat is younger than the TTL: the owner is running. */
  live: boolean;
}

export interface LeaseTiming {
  /** A lease whose heartbeat is older than this is free (default 5 s). */
  ttlMs?: number;
  /** How often the owner heartbeats and a standby looks (default ttl / 5). */
  heartbeatMs?: number;
}

export interface AcquireOptions extends LeaseTiming {
  /** What the lease guards, for messages ("ratings", "lake sink lake-ratings-raw"). Default the key. */
  label?: string;
  /** Wait as a hot standby while another owner is live (default); false refuses with `LeaseHeldError`. */
  standby?: boolean;
  /** Stops waiting: `acquireLease` then returns null. */
  signal?: AbortSignal;
  /** Told once per owner waited for, with the one-line message to show. */
  onWait?: (holder: LeaseInfo, message: string) => void;
  /** Added to the refusal when `standby` is false (e.g. how to wait instead). */
  refuseHint?: string;
  now?: () => number;
}

/** The key of a lease: `pipeline:ratings`, `lake:lake-ratings-raw`, `relay:commerce`. */
export function leaseKey(kind: string, name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`lease kind must be lower-case letters, digits and dashes, got ${JSON.stringify(kind)}`);
  if (name.length === 0 || name.includes('#')) throw new Error(`lease name must be non-empty and without '#', got ${JSON.stringify(name)}`);
  return `${kind}:${name}`;
}

function heartbeatKey(key: string): string {
  return `${key}#hb`;
}

function text(value: LogValue | null): string | null {
  return value === null ? null : typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}

function parseValue(raw: string | null): LeaseValue | null {
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as LeaseValue;
    return typeof v.epoch === 'number' && v.owner && typeof v.owner.id === 'string' ? v : null;
  } catch {
    return null;
  }
}

function parseHeartbeat(raw: string | null): { at: number; id: string } | null {
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as { at: number; id: string };
    return typeof v.at === 'number' && typeof v.id === 'string' ? v : null;
  } catch {
    return null;
  }
}

function ttlOf(timing: LeaseTiming): number {
  return timing.ttlMs ?? DEFAULT_LEASE_TTL_MS;
}

function heartbeatOf(timing: LeaseTiming): number {
  return timing.heartbeatMs ?? Math.max(50, Math.floor(ttlOf(timing) / 5));
}

/** `pid 123 on host-a since 2025-11-10T07:00:00.000Z` */
export function describeOwner(owner: LeaseOwner): string {
  return `pid ${owner.pid} on ${owner.host} since ${owner.since}`;
}

interface RawLease {
  value: string | null;
  heartbeat: string | null;
  info: LeaseInfo | null;
}

async function readRaw(log: EventLog, key: string, ttlMs: number, now: number): Promise<RawLease> {
  const value = text(await log.getState(LEASE_NAMESPACE, key));
  const heartbeat = text(await log.getState(LEASE_NAMESPACE, heartbeatKey(key)));
  const parsed = parseValue(value);
  if (!parsed) return { value, heartbeat, info: null };
  const hb = parseHeartbeat(heartbeat);
  const heartbeatAt = hb && hb.id === parsed.owner.id ? hb.at : null;
  return { value, heartbeat, info: { ...parsed, heartbeatAt, live: heartbeatAt !== null && now - heartbeatAt < ttlMs } };
}

/** The lease under `key` and whether its owner is live, or null when nobody ever took it. */
export async function readLease(log: EventLog, key: string, options: { ttlMs?: number; now?: number } = {}): Promise<LeaseInfo | null> {
  return (await readRaw(log, key, options.ttlMs ?? DEFAULT_LEASE_TTL_MS, options.now ?? Date.now())).info;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the lease may be taken now: nobody holds it, it was released, its heartbeat is older
 * than the TTL — or its owner ran on this host, that process is gone (kill -9) and it has missed
 * two heartbeats (the wait keeps a live owner in another pid namespace with the same host name safe).
 */
function isFree(info: LeaseInfo | null, timing: LeaseTiming, now: number): boolean {
  if (!info || !info.live) return true;
  const owner = info.owner;
  const missed = info.heartbeatAt !== null && now - info.heartbeatAt >= 2 * heartbeatOf(timing);
  return missed && owner.host === hostname() && owner.pid !== process.pid && !processAlive(owner.pid);
}

/** Another owner is live and the caller asked not to wait (code `lease-held`, 409). */
export class LeaseHeldError extends StreamrecError {
  override name = 'LeaseHeldError';
  constructor(message: string, readonly holder: LeaseInfo) {
    super(message, { code: 'lease-held', status: 409 });
  }
}

/** An owner found a standby had taken over: it stops without writing (code `lease-lost`, 409). */
export class LeaseLostError extends StreamrecError {
  override name = 'LeaseLostError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'lease-lost', status: 409, cause: options.cause });
  }
}

/**
 * Takes the lease under `key`: at once when it is free, else — as a hot standby — as soon as the
 * owner stops (released: within one look; gone without a word: within the TTL). Returns null when
 * `signal` aborts the wait. With `standby: false`, a live owner is a `LeaseHeldError` naming it.
 */
export async function acquireLease(log: EventLog, key: string, options: AcquireOptions = {}): Promise<Lease | null> {
  const timing = { ttlMs: ttlOf(options), heartbeatMs: heartbeatOf(options) };
  const label = options.label ?? key;
  const now = options.now ?? Date.now;
  let waitedFor: string | null = null;
  for (;;) {
    if (options.signal?.aborted) return null;
    let current: RawLease | null = null;
    try {
      current = await readRaw(log, key, timing.ttlMs, now());
      if (isFree(current.info, timing, now())) {
        const value: LeaseValue = {
          epoch: (parseValue(current.value)?.epoch ?? 0) + 1,
          owner: { id: randomUUID(), pid: process.pid, host: hostname(), since: new Date(now()).toISOString() },
        };
        const raw = JSON.stringify(value);
        const tx = log.transaction();
        // Both keys as read: an owner that heartbeats in between keeps its lease.
        tx.expectState(LEASE_NAMESPACE, key, current.value);
        tx.expectState(LEASE_NAMESPACE, heartbeatKey(key), current.heartbeat);
        tx.putState(LEASE_NAMESPACE, key, raw);
        tx.putState(LEASE_NAMESPACE, heartbeatKey(key), JSON.stringify({ at: now(), id: value.owner.id }));
        await tx.commit();
        return new Lease(log, key, label, value, raw, timing, { previous: current.info, waited: waitedFor !== null }, now);
      }
    } catch (err) {
      // Fenced: another standby won the race (or the owner heartbeated): look again at once.
      if (err instanceof FencedError) continue;
      // A busy or full disk: look again after a while.
      if (!retryable(err)) throw err;
    }
    const holder = current?.info;
    if (holder && holder.live) {
      const message = `${label} is owned by ${describeOwner(holder.owner)}`;
      if (options.standby === false) {
        throw new LeaseHeldError(`${message}${options.refuseHint ? `; ${options.refuseHint}` : ''}`, holder);
      }
      if (waitedFor !== holder.owner.id) {
        waitedFor = holder.owner.id;
        options.onWait?.(holder, `${message}; waiting as a standby (takes over within ${formatSeconds(timing.ttlMs)} of the owner stopping)`);
      }
    }
    try {
      await sleep(timing.heartbeatMs, undefined, { signal: options.signal });
    } catch {
      return null;
    }
  }
}

function retryable(err: unknown): boolean {
  if (err instanceof FencedError || diskWriteProblem(err)) return true;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return /BUSY|LOCKED/.test(code);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A lease held: `fence` adds the ownership condition to a transaction, a timer heartbeats, and
 * `lost` aborts (with a `LeaseLostError` as its reason) once a heartbeat finds another owner.
 */
export class Lease {
  private readonly lostController = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private released = false;

  constructor(
    private readonly log: EventLog,
    readonly key: string,
    readonly label: string,
    readonly value: LeaseValue,
    private readonly raw: string,
    private readonly timing: Required<LeaseTiming>,
    /** What the lease held before (null: never taken), and whether this owner waited for it as a standby. */
    readonly before: { previous: LeaseInfo | null; waited: boolean },
    private readonly now: () => number,
  ) {
    this.schedule();
  }

  get epoch(): number {
    return this.value.epoch;
  }

  get owner(): LeaseOwner {
    return this.value.owner;
  }

  /** A line saying whom this owner took over from, or null when the lease was free (never taken, or released). */
  takeoverNote(): string | null {
    const { previous, waited } = this.before;
    if (!previous || (!waited && previous.heartbeatAt === null)) return null;
    const how = waited ? '' : ', which stopped without releasing it';
    return `took over ${this.label} from ${describeOwner(previous.owner)}${how} (epoch ${this.epoch})`;
  }

  /** Aborts when the lease is found lost; its reason is the `LeaseLostError` to show. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * Makes `tx` commit only while this is still the owner (else `FencedError`, nothing written),
   * and renews the heartbeat with it.
   */
  fence(tx: Transaction): void {
    tx.expectState(LEASE_NAMESPACE, this.key, this.raw);
    tx.putState(LEASE_NAMESPACE, heartbeatKey(this.key), this.heartbeatValue());
  }

  /** Whether the stored owner is still this one (a read: a commit still needs `fence`). */
  async held(): Promise<boolean> {
    return text(await this.log.getState(LEASE_NAMESPACE, this.key)) === this.raw;
  }

  /** The error to stop with once the lease is lost, naming the new owner. */
  async lostError(cause?: unknown): Promise<LeaseLostError> {
    const reason = this.lost.reason as unknown;
    if (this.lost.aborted && reason instanceof LeaseLostError) return reason;
    let to = 'another owner';
    try {
      const now = await readLease(this.log, this.key, { ttlMs: this.timing.ttlMs, now: this.now() });
      if (now && now.owner.id !== this.owner.id) to = describeOwner(now.owner);
      else if (!now) to = 'nobody (the lease was removed)';
    } catch {
      // The message without the new owner is still the right one.
    }
    return new LeaseLostError(`lost ownership of ${this.label} to ${to}: stopping without writing`, { cause });
  }

  /**
   * Whether `err` (from a fenced transaction) means this lease is lost; when it does, `lost`
   * aborts too. A FencedError on another key is someone else's condition and is not ours to read.
   */
  async isLostBy(err: unknown): Promise<boolean> {
    if (this.lost.aborted) return true;
    if (!(err instanceof FencedError)) return false;
    if (await this.held().catch(() => false)) return false;
    this.markLost(await this.lostError(err));
    return true;
  }

  /** Stops heartbeating and frees the lease for a standby at once (unless it was lost already). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stopTimer();
    if (this.lost.aborted) return;
    const tx = this.log.transaction();
    tx.expectState(LEASE_NAMESPACE, this.key, this.raw);
    tx.putState(LEASE_NAMESPACE, heartbeatKey(this.key), null);
    try {
      await tx.commit();
    } catch {
      // Fenced: someone else holds it already. Any other failure: the heartbeat simply ages out.
    }
  }

  private heartbeatValue(): string {
    return JSON.stringify({ at: this.now(), id: this.owner.id });
  }

  private schedule(): void {
    if (this.released || this.lost.aborted) return;
    this.timer = setTimeout(() => void this.beat(), this.timing.heartbeatMs);
    // A forgotten lease must not keep a finished process alive.
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    this.timer = null;
    if (this.released) return;
    const tx = this.log.transaction();
    tx.expectState(LEASE_NAMESPACE, this.key, this.raw);
    tx.putState(LEASE_NAMESPACE, heartbeatKey(this.key), this.heartbeatValue());
    try {
      await tx.commit();
    } catch (err) {
      if (err instanceof FencedError) {
        this.markLost(await this.lostError(err));
        return;
      }
      // A full disk or a busy log: try again next time (if it lasts past the TTL a standby takes
      // over, and this owner's next commit is fenced). Anything else (a closed log): stop.
      if (!retryable(err)) {
        this.stopTimer();
        return;
      }
    }
    this.schedule();
  }

  private markLost(error: LeaseLostError): void {
    this.stopTimer();
    if (!this.lost.aborted) this.lostController.abort(error);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
