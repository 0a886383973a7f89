// The test server over a data dir holding the small synthetic dataset (and the models a test trains
// on it), for the server tests of the recommendation routes.
import type { EventLog } from '../../../src/log/types.js';
import type { Dataset } from '../../../src/recommend/data/dataset.js';
import { startServerInTempDir, type TempServer, type TempServerOptions } from '../../helpers/test-server.js';
import { storeSynthDataset } from './fixtures.js';

export interface ServedDataset<T> extends TempServer {
  dataset: Dataset;
  /** What `train` returned. */
  trained: T;
}

/**
 * Stores `SMALL_SYNTH` in a fresh data dir, runs `train` on it (before the log opens, as a
 * `streamrec train` before `streamrec up`), then `beforeStart` on the open log, and starts the server.
 */
export async function serveSynthDataset<T = void>(
  options: TempServerOptions,
  train?: (dataDir: string, dataset: Dataset) => Promise<T>,
  beforeStart?: (log: EventLog, dataset: Dataset) => Promise<unknown>,
): Promise<ServedDataset<T>> {
  let dataset!: Dataset;
  let trained!: T;
  const served = await startServerInTempDir(options, {
    prepare: async (dataDir) => {
      dataset = await storeSynthDataset(dataDir);
      if (train) trained = await train(dataDir, dataset);
    },
    beforeStart: beforeStart && ((log) => beforeStart(log, dataset)),
  });
  return { ...served, dataset, trained };
}
