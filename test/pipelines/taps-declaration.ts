/**
 * A second pipeline declared outside src/: "taps" ({type, ts}) counted in 2-second tumbling
 * windows, with a lake table, a generator and no routes of its own. The default export is what
 * env STREAMREC_PIPELINES_MODULE loads into the CLI; tests register it with registerPipeline.
 * It must not import the registry (which may be loading it).
 */
import { z } from 'zod';
import { count, groupBy, record } from '../../src/engine/aggregates/index.js';
import type { PipelineSpec } from '../../src/engine/pipeline.js';
import { tumbling } from '../../src/engine/windows.js';
import { jsonCodec } from '../../src/events/codec.js';
import { LakeSink } from '../../src/lake/lake-sink.js';
import type { LakeTable } from '../../src/lake/lake-table.js';
import type { LogRecord } from '../../src/log/types.js';
import { runPaced } from '../../src/pipelines/paced-producer.js';
import type { PipelineDeclaration } from '../../src/pipelines/pipeline-declaration.js';
import { resultEnvelopeSchema } from '../../src/pipelines/pipeline-result.js';
import { resultEnvelope } from '../../src/pipelines/result-envelope.js';
import { Random } from '../../src/util/random.js';

export const Tap = z.object({ type: z.enum(['cheer', 'hate']), ts: z.number().int() });
export type Tap = z.infer<typeof Tap>;
export const tapCodec = jsonCodec('tap', Tap);

/** The one definition of a result record. */
export const tapsResultSchema = resultEnvelopeSchema.extend({ cheers: z.number().int(), hate: z.number().int() });
export type TapsResult = z.infer<typeof tapsResultSchema>;

const aggregate = record({ total: count(), byType: groupBy((c: Tap) => c.type, count()) });

type BinRow = Pick<TapsResult, 'window_start' | 'window_end' | 'window_type' | 'count' | 'cheers' | 'hate'>;

export const tapsBinsTable: LakeTable<BinRow> = {
  path: 'taps/bins',
  columns: [
    { name: 'window_start', type: 'VARCHAR', get: (r) => r.window_start },
    { name: 'window_end', type: 'VARCHAR', get: (r) => r.window_end },
    { name: 'count', type: 'BIGINT', get: (r) => r.count },
    { name: 'cheers', type: 'BIGINT', get: (r) => r.cheers },
    { name: 'hate', type: 'BIGINT', get: (r) => r.hate },
  ],
  partitionBy: [{ name: 'window_type', get: (r) => r.window_type }],
};

function decodeFinal(r: LogRecord): BinRow | null {
  const parsed = tapsResultSchema.safeParse(JSON.parse(typeof r.value === 'string' ? r.value : new TextDecoder().decode(r.value)));
  return parsed.success && parsed.data.final ? parsed.data : null;
}

const tapsDeclaration: PipelineDeclaration<TapsResult> = {
  name: 'taps',
  sourceTopic: 'taps',
  outputTopic: 'taps.bins',
  windows: ['bins_2s'],
  result: tapsResultSchema,
  runInUp: false,
  open: async (ctx): Promise<PipelineSpec<Tap, Tap, unknown, ReturnType<typeof aggregate.result>>> => ({
    name: 'taps',
    source: { topic: 'taps', codec: tapCodec },
    eventTime: (c) => c.ts,
    enrich: (c) => c,
    windows: [tumbling('bins_2s', 2000)],
    aggregate,
    outOfOrdernessMs: ctx.outOfOrdernessMs ?? 1000,
    idleTimeoutMs: ctx.idleTimeoutMs ?? 200,
    emitIntervalMs: 1000,
    stateVersion: 1,
    output: {
      topic: 'taps.bins',
      format: (r, c): TapsResult => ({ ...resultEnvelope(c, r.total), cheers: r.byType.cheer ?? 0, hate: r.byType.hate ?? 0 }),
    },
  }),
  lake: {
    views: { taps_bins: tapsBinsTable as LakeTable<never> },
    sinks: ({ log, dataDir }) => [new LakeSink({ log, dataDir, topic: 'taps.bins', group: 'lake-taps-bins', table: tapsBinsTable, decode: decodeFinal })],
  },
  generator: {
    description: 'cheers and hate clicks',
    noun: 'taps',
    options: (command, parse) => command.option('--hate-share <f>', 'share of hate clicks', parse.fraction, 0.25),
    async run(flags, paced, ctx) {
      const random = new Random(paced.seed);
      await ctx.log.ensureTopic('taps', { partitions: 2 });
      ctx.onStart?.('');
      return runPaced({
        producer: ctx.log.producer(),
        topic: 'taps',
        next: (ts) => {
          const click: Tap = { type: random.next() < (flags.hateShare as number) ? 'hate' : 'cheer', ts: Math.round(ts) };
          return { key: click.type, value: tapCodec.encode(click), timestamp: click.ts };
        },
        rate: paced.rate,
        count: paced.count,
        durationMs: paced.durationMs,
        backfill: paced.backfill,
        signal: ctx.signal,
        onProgress: ctx.onProgress,
      });
    },
  },
};

export default tapsDeclaration;
