import { Command } from 'commander';
import type { EventLog, LogRecord, TopicPartitionOffset } from '../../log/types.js';
import { addDataDirOption, interruptSignal, openDataDirLog } from '../context.js';
import { positiveInt } from '../options.js';
import { UserError } from '../../util/errors.js';

interface TailFlags {
  dataDir?: string;
  fromBeginning?: boolean;
  max?: number;
  meta?: boolean;
  exitAtEnd?: boolean;
}

export function tailCommand(): Command {
  const command = new Command('tail')
    .description('print a topic’s events as JSON lines (new ones as they arrive)')
    .argument('<topic>', 'the topic to read')
    .option('--from-beginning', 'start at the oldest record instead of the end')
    .option('--max <n>', 'exit after printing this many records', positiveInt)
    .option('--meta', 'wrap each value with its partition, offset, key, timestamp and headers')
    .option('--exit-at-end', 'exit (0) once every partition is read to the end offset it had at start, like kcat -e')
    .addHelpText(
      'after',
      '\nExamples:\n  streamrec tail ratings\n  streamrec tail metrics --from-beginning --max 5\n  streamrec tail ratings.dlq --from-beginning --meta'
        + '\n  streamrec tail metrics --from-beginning --exit-at-end > metrics.jsonl   the whole topic as it is now, then exit'
        + '\n\nWith --exit-at-end, records appended after the start are not printed: a script gets the topic as it was.',
    )
    .action(async (topic: string, flags: TailFlags) => {
      const { log } = openDataDirLog(flags);
      try {
        if (!(await log.topic(topic))) {
          const names = (await log.topics()).map((t) => t.name);
          throw new UserError(`unknown topic: ${topic}${names.length ? ` (topics: ${names.join(', ')})` : ' (the log has no topics yet)'}`);
        }
        // The end offsets before the consumer starts: with --exit-at-end, what is read up to them is the whole answer.
        const ends = flags.exitAtEnd ? await endOffsets(log, topic) : null;
        // A throwaway group that never commits, like kafka-console-consumer's.
        const consumer = log.consumer({ group: `tail-${process.pid}`, topics: [topic], from: flags.fromBeginning ? 'earliest' : 'latest' });
        const signal = interruptSignal();
        let printed = 0;
        while (!signal.aborted && (flags.max === undefined || printed < flags.max)) {
          if (ends && reachedEnds(consumer.positions(), ends)) break;
          let batch = await consumer.poll({ maxRecords: Math.min(1000, (flags.max ?? Infinity) - printed), timeoutMs: ends ? 50 : 200 });
          if (ends) batch = batch.filter((r) => r.offset < (ends.get(r.partition) ?? 0));
          if (batch.length > 0) {
            process.stdout.write(batch.map((r) => formatRecord(r, flags.meta === true)).join('\n') + '\n');
            printed += batch.length;
          }
        }
      } finally {
        await log.close();
      }
    });
  return addDataDirOption(command);
}

/** partition → the offset the next record will get, now. */
async function endOffsets(log: EventLog, topic: string): Promise<Map<number, number>> {
  const info = await log.topic(topic);
  return new Map((info?.partitions ?? []).map((p) => [p.partition, p.endOffset]));
}

/** Whether every partition's read position is at or past its end offset (a partition not at its end yet keeps the tail going). */
export function reachedEnds(positions: TopicPartitionOffset[], ends: Map<number, number>): boolean {
  const at = new Map(positions.map((p) => [p.partition, p.offset]));
  for (const [partition, end] of ends) if ((at.get(partition) ?? 0) < end) return false;
  return true;
}

/** The value itself when it is JSON text; otherwise a JSON string or base64 bytes. */
export function formatRecord(r: LogRecord, meta: boolean): string {
  let value: unknown;
  if (typeof r.value === 'string') {
    try {
      value = JSON.parse(r.value);
    } catch {
      value = r.value;
    }
  } else {
    value = { bytes_base64: Buffer.from(r.value).toString('base64') };
  }
  if (!meta) return JSON.stringify(value);
  return JSON.stringify({ partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, headers: r.headers, value });
}
