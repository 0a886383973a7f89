import { RemoteLog } from '../../src/log/remote/remote-log.js';
import type { EventLog } from '../../src/log/types.js';
import { logContract } from './contract.js';
import { MemoryBroker, MemoryBrokerStore } from './memory-broker.js';

logContract(
  'remote log core over an in-memory broker',
  async () => {
    const store = new MemoryBrokerStore();
    let log: EventLog = new RemoteLog(new MemoryBroker(store));
    return {
      get log() {
        return log;
      },
      reopen: async () => {
        await log.close();
        log = new RemoteLog(new MemoryBroker(store));
        return log;
      },
      cleanup: async () => {
        await log.close();
      },
    };
  },
  { retention: false },
);
