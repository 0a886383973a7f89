import { logPath } from '../util/config.js';
import { SqliteLog, type SqliteLogOptions } from './sqlite/sqlite-log.js';
import type { EventLog } from './types.js';

export interface OpenLogOptions {
  dataDir: string;
  durability?: SqliteLogOptions['durability'];
}

/** Opens the event log a data dir describes. Kafka and NATS adapters will be chosen here too. */
export function openLog(options: OpenLogOptions): EventLog {
  return openEmbeddedLog(options);
}

export function openEmbeddedLog(options: OpenLogOptions): SqliteLog {
  return new SqliteLog({ path: logPath(options.dataDir), durability: options.durability, defaultPartitions: 1 });
}
