import type { PipelineSpec } from '../engine/pipeline.js';
import { ratingsAggSink, ratingsRawSink } from '../lake/ratings-tables.js';
import type { EventLog } from '../log/types.js';
import { ensureCatalogue } from '../movies/catalogue-store.js';
import { ratingsPipeline } from './ratings/ratings-pipeline.js';

export interface PipelineContext {
  dataDir: string;
  log: EventLog;
  idleTimeoutMs?: number;
  allowedLatenessMs?: number;
}

/** Background writers of a pipeline's lake tables, run beside the pipeline. */
export interface LakeWriters {
  /** Stop following, then write everything the topics hold (the pipeline's last results too). */
  finish(): Promise<void>;
}

export interface OpenedPipeline {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec: PipelineSpec<any, any, any, any>;
  startLake(signal: AbortSignal): LakeWriters;
}

const pipelines: Record<string, (ctx: PipelineContext) => Promise<OpenedPipeline>> = {
  ratings: async (ctx) => {
    const catalogue = await ensureCatalogue({ dataDir: ctx.dataDir });
    return {
      spec: ratingsPipeline({ catalogue, idleTimeoutMs: ctx.idleTimeoutMs, allowedLatenessMs: ctx.allowedLatenessMs }),
      startLake: (signal) => startSinks([ratingsRawSink({ log: ctx.log, dataDir: ctx.dataDir }), ratingsAggSink({ log: ctx.log, dataDir: ctx.dataDir })], signal),
    };
  },
};

export function pipelineNames(): string[] {
  return Object.keys(pipelines);
}

export async function openPipeline(name: string, ctx: PipelineContext): Promise<OpenedPipeline> {
  const open = pipelines[name];
  if (!open) throw new Error(`unknown pipeline: ${name} (pipelines: ${pipelineNames().join(', ')})`);
  return open(ctx);
}

interface Sink {
  run(signal: AbortSignal): Promise<void>;
  runOnce(): Promise<number>;
}

function startSinks(sinks: Sink[], outer: AbortSignal): LakeWriters {
  const controller = new AbortController();
  const stop = () => controller.abort();
  outer.addEventListener('abort', stop, { once: true });
  const running = sinks.map((s) => s.run(controller.signal));
  return {
    finish: async () => {
      controller.abort();
      outer.removeEventListener('abort', stop);
      await Promise.all(running);
      for (const s of sinks) await s.runOnce();
    },
  };
}
