import { logContract } from './contract.js';
import { MemoryBroker, MemoryBrokerStore } from './memory-broker.js';
import { remoteLogUnderTest } from './remote-under-test.js';

logContract(
  'remote log core over an in-memory broker',
  async () => {
    const store = new MemoryBrokerStore();
    return remoteLogUnderTest(() => new MemoryBroker(store));
  },
  { retention: false },
);
