/**
 * A child process for the lake crash tests: follows the ratings topic into the lake with small,
 * frequent flushes until killed. Prints `start recovered=<files removed at start>` once and
 * `flush <files>` before each commit. With holdAt n, the n-th flush waits a minute between
 * writing its files and committing (so a kill surely lands there).
 * argv: <dataDir> <flushRows> [holdAt]
 */
import { ratingsRawSink } from '../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';

const [dataDir, flushRowsArg, holdAtArg] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: lake-sink-child <dataDir> <flushRows> [holdAt]');
const holdAt = holdAtArg === undefined ? -1 : Number(holdAtArg);
let flushes = 0;
const log = openEmbeddedLog({ dataDir });
let first = true;
const sink = ratingsRawSink({
  log,
  dataDir,
  flushRows: Number(flushRowsArg ?? 500),
  flushIntervalMs: 20,
  pollRecords: 500,
  // A killed child's lease is taken over after two missed heartbeats: keep restarts quick.
  lease: { ttlMs: 1000 },
  beforeCommit: async (files) => {
    if (first) process.stdout.write(`start recovered=${sink.stats().filesRecovered}\n`);
    first = false;
    process.stdout.write(`flush ${files.length}\n`);
    if (++flushes === holdAt) await new Promise((resolve) => setTimeout(resolve, 60_000));
  },
});
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
await sink.run(controller.signal);
await sink.close();
await log.close();
