/**
 * A transaction over a remote log, Kafka's read_committed way: its output records are written
 * first, each with the transaction's id in a header, then one record in the coordination log
 * carries its expectations, state puts and group commits. Where that record lands decides it —
 * committed if every expectation holds there, else fenced — identically in every process; readers
 * show an output record only once its transaction is known committed. Nothing is ever written
 * after the decision, so there is no roll-forward and nothing can be written twice.
 */
import { randomUUID } from 'node:crypto';
import { toWire, type StateOp, type TxRecord } from './coordination-record.js';
import type { TxOutcome } from './coordination-view.js';
import type { Coordinator } from './coordinator.js';
import type { OutputWriter, PlannedSend } from './output-writer.js';
import { TX_HEADER } from './record-headers.js';
import { FencedError, LogError, type LogValue, type ProducerRecord, type RecordMetadata, type TopicPartitionOffset, type Transaction } from '../types.js';

export interface TransactionParts {
  coordinator: Coordinator;
  writer: OutputWriter;
}

/** The error for a transaction that did not commit. */
export function notCommitted(id: string, outcome: TxOutcome): Error {
  if (outcome.state === 'fenced') return new FencedError(outcome.namespace, outcome.key);
  return new LogError(`transaction ${id} was aborted: a reader found its outputs undecided past the transaction timeout (was its writer paused?)`);
}

/**
 * Writes a transaction's outputs; when that fails part way, aborts the transaction at once so
 * readers skip what was written instead of waiting out the timeout.
 */
export async function writeOutputs<T>(coordinator: Coordinator, id: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    await coordinator.append({ t: 'abort', id }).catch(() => undefined);
    throw err;
  }
}

export function remoteTransaction(parts: TransactionParts): Transaction {
  let state: 'open' | 'done' = 'open';
  const sends: { topic: string; records: ProducerRecord[] }[] = [];
  const commits: TxRecord['commits'] = [];
  const puts: StateOp[] = [];
  const expects: StateOp[] = [];
  const open = (): void => {
    if (state !== 'open') throw new LogError('transaction already committed or aborted');
  };
  return {
    send: (topic, records) => {
      open();
      sends.push({ topic, records });
    },
    commitOffsets: (group, offsets: TopicPartitionOffset[]) => {
      open();
      commits.push({ group, offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })) });
    },
    putState: (ns, key, value: LogValue | null) => {
      open();
      puts.push({ ns, key, value: toWire(value) });
    },
    expectState: (ns, key, value: LogValue | null) => {
      open();
      expects.push({ ns, key, value: toWire(value) });
    },
    abort: () => {
      state = 'done';
    },
    commit: async () => {
      open();
      state = 'done';
      return commitTransaction(parts, { sends, commits, puts, expects });
    },
  };
}

async function commitTransaction(
  parts: TransactionParts,
  ops: { sends: { topic: string; records: ProducerRecord[] }[]; commits: TxRecord['commits']; puts: StateOp[]; expects: StateOp[] },
): Promise<RecordMetadata[]> {
  const { coordinator, writer } = parts;
  const id = randomUUID();
  const plans: PlannedSend[] = [];
  for (const s of ops.sends) if (s.records.length > 0) plans.push(await writer.plan(s.topic, s.records));
  if (plans.length > 0 && ops.expects.length > 0) {
    // A writer already fenced (a stale lease) learns it before writing outputs nobody will see.
    await coordinator.catchUp();
    const failed = coordinator.view.failedExpectation(ops.expects);
    if (failed) throw new FencedError(failed.ns, failed.key);
  }
  const written = await writeOutputs(coordinator, id, () => Promise.all(plans.map((plan) => writer.write(plan, () => ({ [TX_HEADER]: id })))));
  const record: TxRecord = { t: 'tx', id, expects: ops.expects, puts: ops.puts, commits: ops.commits, sequences: [], outputs: plans.length > 0 };
  if (record.expects.length + record.puts.length + record.commits.length === 0 && plans.length === 0) return [];
  const outcome = await coordinator.decide(record);
  if (outcome.state !== 'committed') throw notCommitted(id, outcome);
  return written.flatMap((byIndex) => [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, meta]) => meta));
}
