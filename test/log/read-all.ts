import type { EventLog, LogRecord } from '../../src/log/types.js';

export const text = (r: LogRecord): string => (typeof r.value === 'string' ? r.value : Buffer.from(r.value).toString());

/** Every record a new group reads from the earliest offset, as text, until a poll comes back empty. */
export async function readAll(log: EventLog, topic: string, group: string): Promise<string[]> {
  const consumer = log.consumer({ group, topics: [topic], from: 'earliest' });
  const out: string[] = [];
  for (let batch = await consumer.poll({ timeoutMs: 100 }); batch.length > 0; batch = await consumer.poll({ timeoutMs: 100 })) out.push(...batch.map(text));
  return out;
}
