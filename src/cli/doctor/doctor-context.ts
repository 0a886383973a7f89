import type { EventLog } from '../../log/types.js';
import type { StreamrecConfig } from '../../util/config.js';

/** What every check family gets: the data dir, the configuration and the clock. */
export interface DoctorContext {
  dataDir: string;
  config: StreamrecConfig;
  /** The API port to check (a --port flag, else STREAMREC_PORT). */
  port: number;
  now: number;
}

/** The checks that read the log get it open (null: there is no log to read). */
export interface LogContext extends DoctorContext {
  log: EventLog;
}
