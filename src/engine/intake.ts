import { rejectionReason } from '../events/codec.js';
import { deadLetterRecord } from '../events/dead-letter.js';
import type { EventCodec } from '../events/codec.js';
import type { LogRecord, ProducerRecord, RecordBatch } from '../log/types.js';
import { sourceTopics, type PipelineSpec } from './pipeline.js';
import type { SourceLayout } from './source-layout.js';
import { SourceMerge } from './source-merge.js';
import { Arrival, type WindowOperator, type WindowResult } from './window-operator.js';

/** A record the codec refused, in the merge in place of an event (taken as soon as it is a head). */
class Rejected {
  constructor(readonly reason: string) {}
}

/**
 * The per-event part of a pipeline run: decodes what is read into the merge, then takes merged
 * records into the window operator — advancing the source positions, dead-lettering rejected
 * records and setting late ones aside for the checkpoint (a late event may still have counted in
 * its windows that were open). Kept out of the async runner so the JIT compiles these two loops
 * early and on their own.
 */
export class Intake<E, X, S, R> {
  readonly merge: SourceMerge<E | Rejected>;
  /**
   * Late events and dead letters taken since the last checkpoint, for its transaction: one list
   * a source topic (in the source's order), since each goes to its own topic's `.late`/`.dlq`.
   */
  readonly lates: ProducerRecord[][];
  readonly deadLetters: ProducerRecord[][];
  /** Each input's codec and topic index (inputs as the layout numbers them). */
  private readonly codecs: EventCodec<E>[];
  private readonly topicOf: Int32Array;

  /**
   * `positions[i]` is the next offset to process of the layout's input i; it advances as records
   * are taken. `deadLettered` counts rejected records since the pipeline started.
   */
  constructor(
    private readonly spec: Pick<PipelineSpec<E, X, S, R>, 'source' | 'eventTime' | 'enrich'>,
    private readonly operator: WindowOperator<X, S, R>,
    layout: SourceLayout,
    readonly positions: number[],
    public deadLettered: number,
  ) {
    const topics = sourceTopics(spec.source);
    this.codecs = layout.slots.map((s) => topics[s.topicIndex]!.codec);
    this.topicOf = Int32Array.from(layout.slots, (s) => s.topicIndex);
    this.lates = topics.map(() => []);
    this.deadLetters = topics.map(() => []);
    this.merge = new SourceMerge<E | Rejected>(layout.slots.length);
  }

  /** Whether late events or dead letters wait for the next checkpoint. */
  hasSetAside(): boolean {
    return this.lates.some((l) => l.length > 0) || this.deadLetters.some((d) => d.length > 0);
  }

  /** Forgets what was set aside, once a checkpoint has committed it. */
  clearSetAside(): void {
    for (const l of this.lates) l.length = 0;
    for (const d of this.deadLetters) d.length = 0;
  }

  /** Decodes what a read of input p returned and hands it to the merge. */
  push(p: number, batch: RecordBatch): void {
    const codec = this.codecs[p]!;
    const times = new Float64Array(batch.length);
    const values = new Array<E | Rejected>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      try {
        const value = codec.decode(batch.value(i));
        times[i] = this.spec.eventTime(value);
        values[i] = value;
      } catch (err) {
        // Rejected records stay in partition order (time -Infinity: taken as soon as they are the head).
        times[i] = -Infinity;
        values[i] = new Rejected(rejectionReason(codec.name, err));
      }
    }
    this.merge.push(p, batch, times, values);
  }

  /**
   * Takes records in event-time order until an input must be read first, handing the final
   * results that became due to `onFinals` every 1024 records and at the end. Returns how many
   * records were taken.
   */
  drain(onFinals: (results: WindowResult<R>[]) => void): number {
    const { merge, operator, spec, positions } = this;
    let took = 0;
    while (merge.take()) {
      const { batch, index, input } = merge;
      const value = merge.value!;
      positions[input] = batch.offset(index) + 1;
      took++;
      if (value instanceof Rejected) {
        this.deadLetters[this.topicOf[input]!]!.push(deadLetterRecord(batch.record(index), value.reason));
        this.deadLettered++;
      } else {
        const arrival = operator.add(spec.enrich(value), merge.time);
        if (arrival !== Arrival.onTime) this.setAsideLate(this.lates[this.topicOf[input]!]!, batch.record(index), arrival);
      }
      if ((took & 1023) === 0) onFinals(operator.takeFinals());
    }
    onFinals(operator.takeFinals());
    return took;
  }

  /**
   * A late event's copy for `<topic>.late`; `counted` says whether it still counted in windows of
   * it that were open (`partly`) or in none (`none`).
   */
  private setAsideLate(into: ProducerRecord[], record: LogRecord, arrival: Arrival): void {
    into.push({
      key: record.key,
      value: record.value,
      timestamp: record.timestamp,
      headers: {
        source_partition: String(record.partition),
        source_offset: String(record.offset),
        counted: arrival === Arrival.partlyLate ? 'partly' : 'none',
      },
    });
  }
}
