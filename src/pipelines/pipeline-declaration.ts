import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Command } from 'commander';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { PipelineSpec } from '../engine/pipeline.js';
import type { LakeSinkTarget } from '../lake/lake-reset.js';
import type { LakeTable } from '../lake/lake-table.js';
import type { EventCodec } from '../events/codec.js';
import type { EventLog } from '../log/types.js';
import type { DiskProblem, PacedStats } from './paced-producer.js';
import type { PipelineHealth, ResultEnvelope } from './pipeline-result.js';

/** What opening a pipeline, its lake sinks or its generator gets. */
export interface PipelineContext {
  dataDir: string;
  log: EventLog;
  idleTimeoutMs?: number;
  outOfOrdernessMs?: number;
}

/** A background writer of a lake table (a LakeSink). */
export interface LakeWriter {
  run(signal: AbortSignal): Promise<void>;
  runOnce(): Promise<number>;
  /** What it follows and writes; `streamrec reset` rewinds a writer over the pipeline's outputs (one without a target is left as it is). */
  readonly target?: LakeSinkTarget;
}

export interface PipelineLake {
  /** Query views by name, over the tables the sinks write (`streamrec sql`, `openPipelinesLake`). */
  views: Record<string, LakeTable<never>>;
  sinks(ctx: { log: EventLog; dataDir: string }): LakeWriter[];
}

/** commander argument parsers the CLI lends a generator (each throws commander's one-line error). */
export interface OptionParsers {
  positiveInt(value: string): number;
  fraction(value: string): number;
  duration(value: string): number;
}

/** The generic paced-run settings the CLI parses for every generator (`--rate`, `--count`, …). */
export interface PacedFlags {
  rate: number;
  count?: number;
  durationMs?: number;
  seed: number;
  backfill?: { fromMs: number; spanMs: number };
}

/** A synthetic event source: `streamrec generate <pipeline>`, and `up` for pipelines it runs. */
export interface PipelineGenerator {
  /** One line for `generate --help`. */
  description: string;
  /** Events of what, for progress lines ("ratings"). */
  noun: string;
  /** Help examples, without the `streamrec generate <name>` prefix's explanation. */
  examples?: string[];
  /** Adds the generator's own options (the CLI adds --rate, --count, --duration, --seed). */
  options(command: Command, parse: OptionParsers): Command;
  /**
   * Checks the generator's flags and readies what the pipeline reads from them (ratings: the
   * catalogue), before any processor or server starts; `generate` and `up` call it before `run`.
   */
  prepare?(flags: Record<string, unknown>, ctx: { dataDir: string }): Promise<void>;
  /** Sends events until the paced flags' count, duration or the signal stops it. */
  run(flags: Record<string, unknown>, paced: PacedFlags, ctx: GeneratorContext): Promise<PacedStats>;
}

export interface GeneratorContext {
  log: EventLog;
  dataDir: string;
  signal: AbortSignal;
  /** Called once before sending, with a short description of the run (sizes, catalogue …). */
  onStart?: (what: string) => void;
  onProgress?: (stats: PacedStats) => void;
  /** Told when the disk starts refusing the generator's appends (it waits and retries) and when it takes them again; default a line on stderr. */
  onDiskProblem?: (problem: DiskProblem | null) => void;
}

/** A pipeline's results as the server follows them (implemented by server/PipelineView). */
export interface PipelineResults<R extends ResultEnvelope> {
  readonly name: string;
  /** Bumped on every applied record: lets readers cache what they derive. */
  readonly version: number;
  latestOf(window: string): R | null;
  /** Final results of a window name, oldest first, at most `limit`. */
  historyOf(window: string, limit: number): R[];
  /** The newest result (final or open) of each recent window of the first window name, oldest first. */
  recent(limit: number): R[];
  /** Events counted in final windows of the first window name. */
  readonly eventsTotal: number;
  readonly resultsReceived: number;
  hasData(): boolean;
  /** The last sampled health (pushed to streams every second). */
  health(): PipelineHealth;
  /** Health with the late and dead-letter totals read from the log now (what health routes answer). */
  healthNow(): Promise<PipelineHealth>;
  onResult(listener: (record: R) => void): void;
  onHealth(listener: (health: PipelineHealth) => void): void;
}

/** A Server-Sent Events stream (implemented by server/SseHub). */
export interface EventStream {
  readonly size: number;
  /** `event` null: an unnamed event (no `event:` line), what EventSource's `onmessage` receives. */
  publish(event: string | null, data: unknown): number;
  attach(req: IncomingMessage, res: ServerResponse, initial: () => { event: string | null; data: unknown }[]): void;
}

export interface PipelineRoutesContext<R extends ResultEnvelope> {
  results: PipelineResults<R>;
  /** The server's event log (routes that append, e.g. ingestion, or follow topics of their own). */
  log: EventLog;
  /**
   * A new SSE stream with the server's heartbeat and backpressure settings; `heartbeatMessage`
   * adds a heartbeat clients see (sent every STREAMREC_SSE_HEARTBEAT_MS, not kept for replay).
   */
  newStream(options?: { heartbeatMessage?: () => unknown }): EventStream;
}

/**
 * Routes a pipeline adds beside the generic `/pipelines/<name>/…` (ratings: the seed `/metrics/*`).
 * `view` and `stream` are what the server exposes as `StreamrecServer.view` and `.hub`.
 */
export interface PipelineRoutes {
  plugin: FastifyPluginAsync;
  view?: unknown;
  stream?: EventStream;
}

/**
 * Everything the program needs to know about a pipeline: the CLI, the server and the lake read
 * this and name no pipeline.
 */
export interface PipelineDeclaration<R extends ResultEnvelope = ResultEnvelope> {
  name: string;
  sourceTopic: string;
  outputTopic: string;
  /** Window spec names, as the spec declares them; the first is the one history and totals follow. */
  windows: readonly [string, ...string[]];
  /** The output record: the one definition the lake decode, API and dashboard types derive from. */
  result: z.ZodType<R>;
  /** Whether `streamrec up` runs it. */
  runInUp: boolean;
  /** Whether `streamrec up` runs its generator (default true; clicks: false, its events come from the page). */
  generateInUp?: boolean;
  /** Events clients may post over HTTP (`POST /events/<name>`): appended to `sourceTopic`. */
  ingest?: PipelineIngest;
  /** Builds the runnable spec (loading its dimension tables). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  open(ctx: PipelineContext): Promise<PipelineSpec<any, any, any, any>>;
  lake?: PipelineLake;
  generator?: PipelineGenerator;
  routes?: (ctx: PipelineRoutesContext<R>) => PipelineRoutes;
  /**
   * Long-running helpers beside the processor (commerce: the outbox relay): `streamrec up` starts
   * them before the generator and stops them (abort, then awaits `run`) after it; `streamrec relay
   * <name>` runs those of kind `relay` alone. The generator's options are parsed for them too (e.g. `--postgres`).
   */
  services?: (ctx: ServiceContext) => BackgroundService[];
}

/** What a background service gets: the data dir, the log and the CLI flags (the generator's options included). */
export interface ServiceContext {
  dataDir: string;
  log: EventLog;
  flags: Record<string, unknown>;
  /** Return from `run` once nothing is left to do (`streamrec relay --exit-when-idle`). */
  exitWhenIdle?: boolean;
  /** A message worth a line of its own (e.g. "another relay holds the shop; waiting"). */
  notify?: (message: string) => void;
}

/** A background service: runs until the signal aborts (or, with `exitWhenIdle`, until idle). */
export interface BackgroundService {
  name: string;
  run(signal: AbortSignal): Promise<void>;
  /** `relay`: what `streamrec relay <name>` runs (alone); others run only in `up`. */
  kind?: 'relay';
  /** A short status for progress lines (`rows/s`, position, lag …). */
  status?(): string;
}

/**
 * How a pipeline takes events over HTTP (`POST /events/<name>`, and any route of its own built on
 * `pipelines/ingest.ts`): each posted item is stamped into an event (the server sets what the
 * client must not, e.g. the time), checked against `codec` and appended to the source topic.
 */
export interface PipelineIngest<E = unknown> {
  /** The source topic's codec: every stamped event must decode with it. */
  codec: EventCodec<E>;
  /** One posted item → the event to append; throws a 400 `StreamrecError` naming what is wrong. */
  stamp(item: unknown, now: number): E;
  /** The record key (partition choice); default none. */
  key?(event: E): string | null;
  /** Items one request may carry (an array body); more is a 400 naming this. */
  maxBatch: number;
  /** The largest body in bytes (413 over it). */
  maxBodyBytes: number;
  /** Items per second one client (IP) may post; 0 none. Read when the server starts. */
  rateLimit?(): number;
  /** Partitions of the source topic when ingestion creates it (default 1). */
  partitions?: number;
}
