/**
 * Producers over a remote log. A plain send is a direct append. An idempotent send (producerId +
 * sequences) is a small transaction: its records carry a transaction id and their sequence number,
 * and one coordination record with the sequences decides, per record, which are new — a resend
 * after a crash is hidden from readers, whatever the interleaving with other writers.
 */
import { randomUUID } from 'node:crypto';
import type { Coordinator } from './coordinator.js';
import { duplicateKey } from './coordination-view.js';
import type { OutputWriter } from './output-writer.js';
import { SEQUENCE_HEADER, TX_HEADER } from './record-headers.js';
import { notCommitted, writeOutputs } from './remote-transaction.js';
import { indexesByPartition } from '../partition-choice.js';
import { LogError, type Producer, type ProducerOptions, type ProducerRecord, type SendOptions, type SendResult } from '../types.js';

export interface ProducerParts {
  coordinator: Coordinator;
  writer: OutputWriter;
  assertOpen(): void;
}

export function remoteProducer(parts: ProducerParts, options: ProducerOptions): Producer {
  return {
    send: async (topic, records, sendOptions: SendOptions = {}) => {
      parts.assertOpen();
      const sequences = sendOptions.sequences;
      if (sequences && sequences.length !== records.length) {
        throw new LogError(`send to ${topic}: ${records.length} records but ${sequences.length} sequences`);
      }
      if (sequences && !options.producerId) throw new LogError(`send to ${topic}: sequences need an idempotent producer (producerId)`);
      if (options.producerId && sequences) return sendIdempotent(parts, options.producerId, topic, records, sequences);
      const plan = await parts.writer.plan(topic, records);
      const written = await parts.writer.write(plan, () => null);
      return records.map((_, i) => ({ ...written.get(i)!, duplicate: false }));
    },
    close: async () => {},
  };
}

async function sendIdempotent(parts: ProducerParts, producerId: string, topic: string, records: ProducerRecord[], sequences: number[]): Promise<SendResult[]> {
  const { coordinator, writer } = parts;
  const plan = await writer.plan(topic, records);
  const results: SendResult[] = new Array(records.length);
  // What the view already knows as written is not even sent (the decision below stays the judge).
  await coordinator.catchUp();
  const accepted: number[] = [];
  const byPartition = indexesByPartition(plan.partitions);
  const sequenceOps = [];
  for (const [partition, indexes] of byPartition) {
    let highest = coordinator.view.lastSequence(producerId, topic, partition) ?? -Infinity;
    const sent: number[] = [];
    for (const i of indexes) {
      if (sequences[i]! <= highest) {
        results[i] = { topic, partition, offset: -1, duplicate: true };
      } else {
        highest = sequences[i]!;
        accepted.push(i);
        sent.push(sequences[i]!);
      }
    }
    if (sent.length > 0) sequenceOps.push({ producerId, topic, partition, sequences: sent });
  }
  if (accepted.length === 0) return results;
  const id = randomUUID();
  const own = (i: number) => ({ [TX_HEADER]: id, [SEQUENCE_HEADER]: String(sequences[i]) });
  const written = await writeOutputs(coordinator, id, () => writer.write(plan, own, accepted.sort((a, b) => a - b)));
  const outcome = await coordinator.decide({ t: 'tx', id, expects: [], puts: [], commits: [], sequences: sequenceOps, outputs: true });
  if (outcome.state !== 'committed') throw notCommitted(id, outcome);
  for (const i of accepted) {
    const meta = written.get(i)!;
    const duplicate = outcome.duplicates?.has(duplicateKey(topic, meta.partition, sequences[i]!)) ?? false;
    results[i] = duplicate ? { ...meta, offset: -1, duplicate } : { ...meta, duplicate };
  }
  return results;
}
