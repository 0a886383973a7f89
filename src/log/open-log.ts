import { logPath } from '../util/config.js';
import { parseLogUrl, type RemoteLogUrl } from './log-url.js';
import { createKafkaBroker } from './kafka/kafka-broker.js';
import { createNatsBroker } from './nats/nats-broker.js';
import type { Broker } from './remote/broker.js';
import { RemoteLog } from './remote/remote-log.js';
import { SqliteLog, type SqliteLogOptions } from './sqlite/sqlite-log.js';
import type { EventLog } from './types.js';

export interface OpenLogOptions {
  dataDir: string;
  durability?: SqliteLogOptions['durability'];
  /** `--log` / `STREAMREC_LOG`: `embedded` (default), `kafka://…` or `nats://…` (see log-url.ts). */
  log?: string;
}

type BrokerFactories = { [K in RemoteLogUrl['kind']]: (url: RemoteLogUrl & { kind: K }) => Broker };

/** The one place each remote adapter is plugged in. */
const brokerFactories: BrokerFactories = {
  nats: createNatsBroker,
  kafka: createKafkaBroker,
};

/**
 * Opens the event log `log` names: the embedded SQLite log in the data dir, or a remote server
 * behind the shared remote core. Synchronous: a remote log connects on first use.
 */
export function openLog(options: OpenLogOptions): EventLog {
  const choice = parseLogUrl(options.log ?? 'embedded');
  if (choice.kind === 'embedded') return openEmbeddedLog(options);
  return new RemoteLog(createBroker(choice));
}

function createBroker(url: RemoteLogUrl): Broker {
  return url.kind === 'nats' ? brokerFactories.nats({ ...url, kind: 'nats' }) : brokerFactories.kafka({ ...url, kind: 'kafka' });
}

export function openEmbeddedLog(options: OpenLogOptions): SqliteLog {
  return new SqliteLog({ path: logPath(options.dataDir), durability: options.durability, defaultPartitions: 1 });
}
