import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { tempDir } from '../helpers/tmp.js';
import { logContract } from './contract.js';

logContract(
  'embedded SQLite',
  async () => {
    const { dir, cleanup } = tempDir();
    let log: EventLog = openEmbeddedLog({ dataDir: dir });
    return {
      get log() {
        return log;
      },
      reopen: async () => {
        await log.close();
        log = openEmbeddedLog({ dataDir: dir });
        return log;
      },
      cleanup: async () => {
        await log.close();
        cleanup();
      },
    };
  },
  { retention: true },
);
