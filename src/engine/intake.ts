import { rejectionReason } from '../events/codec.js';
import { deadLetterRecord } from '../events/dead-letter.js';
import type { LogRecord, ProducerRecord, RecordBatch } from '../log/types.js';
import type { PipelineSpec } from './pipeline.js';
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
  /** Late events and dead letters taken since the last checkpoint, for its transaction. */
  readonly lates: ProducerRecord[] = [];
  readonly deadLetters: ProducerRecord[] = [];

  /**
   * `positions[p]` is the next offset to process of partition p; it advances as records are taken.
   * `deadLettered` counts rejected records since the pipeline started.
   */
  constructor(
    private readonly spec: PipelineSpec<E, X, S, R>,
    private readonly operator: WindowOperator<X, S, R>,
    readonly positions: number[],
    public deadLettered: number,
  ) {
    this.merge = new SourceMerge<E | Rejected>(positions.length);
  }

  /** Decodes what a read of partition p returned and hands it to the merge. */
  push(p: number, batch: RecordBatch): void {
    const { codec } = this.spec.source;
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
   * Takes records in event-time order until a partition must be read first, handing the final
   * results that became due to `onFinals` every 1024 records and at the end. Returns how many
   * records were taken.
   */
  drain(onFinals: (results: WindowResult<R>[]) => void): number {
    const { merge, operator, spec, positions } = this;
    let took = 0;
    while (merge.take()) {
      const { batch, index } = merge;
      const value = merge.value!;
      positions[merge.partition] = batch.offset(index) + 1;
      took++;
      if (value instanceof Rejected) {
        this.deadLetters.push(deadLetterRecord(batch.record(index), value.reason));
        this.deadLettered++;
      } else {
        const arrival = operator.add(spec.enrich(value), merge.time);
        if (arrival !== Arrival.onTime) this.setAsideLate(batch.record(index), arrival);
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
  private setAsideLate(record: LogRecord, arrival: Arrival): void {
    this.lates.push({
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
