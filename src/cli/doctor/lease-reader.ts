/**
 * Reads an owner's lease from the log's keyed state, as `log/lease.ts` writes it: namespace
 * `leases`, key `<kind>:<name>` → `{"epoch": n, "owner": {"id", "pid", "host", "since"}}`, and the
 * heartbeat under `<kind>:<name>#hb` → `{"at": ms, "id"}`. Read-only: the doctor never takes or
 * renews a lease. (When `log/lease.ts` exports `readLease`, this reader can give way to it.)
 */
import type { EventLog, LogValue } from '../../log/types.js';

export const LEASE_NAMESPACE = 'leases';
/** A heartbeat older than this is an owner that stopped (the lease's TTL, with a margin for a loaded machine). */
export const LEASE_LIVE_MS = 10_000;

export interface LeaseOwner {
  id: string;
  pid: number;
  host: string;
  since: string;
}

export interface LeaseView {
  epoch: number;
  owner: LeaseOwner;
  /** The owner's last heartbeat (epoch ms), or null when none was written (or it is another owner's). */
  heartbeatAt: number | null;
  /** Whether the heartbeat is recent: the owner is running. */
  live: boolean;
}

export async function readLeaseView(log: EventLog, key: string, now = Date.now()): Promise<LeaseView | null> {
  const lease = parse(await log.getState(LEASE_NAMESPACE, key)) as { epoch?: unknown; owner?: Partial<LeaseOwner> } | null;
  if (lease === null || typeof lease.owner !== 'object' || lease.owner === null) return null;
  const owner: LeaseOwner = {
    id: String(lease.owner.id ?? ''),
    pid: Number(lease.owner.pid ?? NaN),
    host: String(lease.owner.host ?? 'unknown host'),
    since: String(lease.owner.since ?? 'an unknown time'),
  };
  const hb = parse(await log.getState(LEASE_NAMESPACE, `${key}#hb`)) as { at?: unknown; id?: unknown } | null;
  const heartbeatAt = hb !== null && typeof hb.at === 'number' && (hb.id === undefined || hb.id === owner.id) ? hb.at : null;
  return { epoch: Number(lease.epoch ?? 0), owner, heartbeatAt, live: heartbeatAt !== null && now - heartbeatAt < LEASE_LIVE_MS };
}

function parse(raw: LogValue | null): unknown {
  if (raw === null) return null;
  try {
    return JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
