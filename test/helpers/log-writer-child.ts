/**
 * A child process for the multi-process log tests: appends batches of JSON records
 * {writer, seq} to a topic and prints `ack <last seq>` after each append resolves.
 * argv: <dataDir> <topic> <writerId> <batches> <batchSize>
 */
import { openEmbeddedLog } from '../../src/log/open-log.js';

const [dataDir, topic, writer, batchesArg, sizeArg] = process.argv.slice(2);
if (!dataDir || !topic || !writer) throw new Error('usage: log-writer-child <dataDir> <topic> <writerId> <batches> <batchSize>');
const batches = Number(batchesArg);
const size = Number(sizeArg);
const log = openEmbeddedLog({ dataDir });
await log.ensureTopic(topic, { partitions: 3 });
const producer = log.producer();
let seq = 0;
for (let b = 0; b < batches; b++) {
  const records = [];
  for (let i = 0; i < size; i++, seq++) records.push({ key: `${writer}-${seq % 7}`, value: JSON.stringify({ writer, seq }) });
  await producer.send(topic, records);
  // Pipes are written synchronously on Linux: once this line is out, the append was acknowledged.
  process.stdout.write(`ack ${seq - 1}\n`);
}
await log.close();
