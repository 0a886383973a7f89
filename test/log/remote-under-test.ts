import type { Broker } from '../../src/log/remote/broker.js';
import { RemoteLog } from '../../src/log/remote/remote-log.js';
import type { EventLog } from '../../src/log/types.js';
import type { LogUnderTest } from './contract.js';

/** A RemoteLog for the contract; a restart is a new broker connection to the same server. */
export function remoteLogUnderTest(connect: () => Broker, dropAll: () => Promise<void> = async () => {}): LogUnderTest {
  let log: EventLog = new RemoteLog(connect());
  return {
    get log() {
      return log;
    },
    reopen: async () => {
      await log.close();
      log = new RemoteLog(connect());
      return log;
    },
    cleanup: async () => {
      await log.close();
      await dropAll();
    },
  };
}
