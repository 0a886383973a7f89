/**
 * `--log` / `STREAMREC_LOG`: which event log to run on. `embedded` (the default) is the SQLite
 * log in the data dir; `kafka://host:port[,host:port…][/prefix]` and `nats://host:port[/prefix]`
 * are remote servers, every topic and stream named under the prefix (default `streamrec`) so
 * several deployments can share one server.
 */
import { LogError } from './types.js';

/** A remote log's address, parsed; the Kafka and NATS adapters take exactly this. */
export interface RemoteLogUrl {
  kind: 'nats' | 'kafka';
  /** `host:port` of each server to bootstrap from. */
  servers: string[];
  /** Namespace of every topic/stream this deployment makes. */
  prefix: string;
}
export type KafkaLogUrl = RemoteLogUrl & { kind: 'kafka' };
export type NatsLogUrl = RemoteLogUrl & { kind: 'nats' };

export type LogChoice = { kind: 'embedded' } | RemoteLogUrl;

export const DEFAULT_PREFIX = 'streamrec';
const DEFAULT_PORTS = { kafka: 9092, nats: 4222 } as const;
const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/;

export const LOG_URL_HELP = 'embedded, kafka://host:port[,host:port…][/prefix] or nats://host:port[/prefix]';

/** Parses a `--log` value; a bad one is a LogError naming the part that is wrong. */
export function parseLogUrl(value: string): LogChoice {
  const v = value.trim();
  if (v === '' || v === 'embedded') return { kind: 'embedded' };
  const scheme = /^([a-z]+):\/\/(.*)$/.exec(v);
  if (!scheme) throw new LogError(`log ${JSON.stringify(value)}: expected ${LOG_URL_HELP}`);
  const kind = scheme[1]!;
  if (kind !== 'kafka' && kind !== 'nats') {
    throw new LogError(`log ${JSON.stringify(value)}: unknown scheme ${JSON.stringify(`${kind}://`)}; expected ${LOG_URL_HELP}`);
  }
  const rest = scheme[2]!;
  const slash = rest.indexOf('/');
  const hostPart = slash < 0 ? rest : rest.slice(0, slash);
  const prefixPart = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/$/, '');
  if (hostPart === '') throw new LogError(`log ${JSON.stringify(value)}: no server given; expected ${kind}://host:port`);
  const servers = hostPart.split(',').map((s) => parseServer(value, kind, s));
  const prefix = prefixPart === '' ? DEFAULT_PREFIX : prefixPart;
  if (!PREFIX.test(prefix)) {
    throw new LogError(`log ${JSON.stringify(value)}: prefix ${JSON.stringify(prefixPart)} must be 1 to 64 letters, digits, '_' or '-'`);
  }
  return { kind, servers, prefix };
}

function parseServer(value: string, kind: 'kafka' | 'nats', server: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(server.trim());
  const host = m?.[1] ?? '';
  if (!HOST.test(host)) throw new LogError(`log ${JSON.stringify(value)}: server ${JSON.stringify(server)} has no valid host name`);
  const portText = m?.[2];
  const port = portText === undefined ? DEFAULT_PORTS[kind] : /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LogError(`log ${JSON.stringify(value)}: server ${JSON.stringify(server)} has port ${JSON.stringify(portText)}, expected a number from 1 to 65535`);
  }
  return `${host}:${port}`;
}

/** The URL again, for descriptions and messages. */
export function formatLogUrl(url: RemoteLogUrl): string {
  return `${url.kind}://${url.servers.join(',')}/${url.prefix}`;
}
