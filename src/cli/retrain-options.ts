/**
 * `--retrain-every`, `--retrain-after` and `--retrain-models`, shared by `up` and `serve`: the
 * flags, and the schedule they start beside the server — it watches the ratings topic and the
 * served models, runs `streamrec train --from-lake` in a child process when due, and health
 * (`/recommendations/health` → `retrain`) shows its state.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { EventLog } from '../log/types.js';
import { RATINGS_TOPIC } from '../movies/rating-event.js';
import { lakeHasRatings } from '../recommend/data/lake-import.js';
import { MODEL_NAMES, type ModelName } from '../recommend/models/model-kinds.js';
import { ModelRegistry } from '../recommend/registry/registry.js';
import type { RetrainRun, RetrainStatus } from '../recommend/serving/contract.js';
import type { RecommendationService } from '../recommend/serving/recommendation-service.js';
import { RetrainScheduler, type RetrainObservation, type RetrainPolicy, type RetrainReason } from '../recommend/train/retrain-schedule.js';
import { formatDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';
import { duration, positiveInt } from './options.js';
import { trainInChild } from './retrain-child.js';
import { modelList } from './training-options.js';

export interface RetrainFlags {
  retrainEvery?: number;
  retrainAfter?: number;
  retrainModels?: ModelName[];
}

export function addRetrainOptions(command: Command): Command {
  return command
    .option('--retrain-every <duration>', 'retrain the models from the lake this often (e.g. 1h, 30m), in a child process running `streamrec train --from-lake`; the server swaps the new versions in (default: never)', duration)
    .option('--retrain-after <n>', 'retrain once the served models have not seen this many streamed ratings (default: never)', positiveInt)
    .option('--retrain-models <list>', 'the models a retrain trains (default: those the registry holds, else train\'s default)', modelList);
}

export interface RetrainContext {
  dataDir: string;
  log: EventLog;
  service: RecommendationService | null;
  /** One line for the operator (a retrain started, ended, failed). */
  notify(line: string): void;
}

/** The schedule the flags ask for (null: none), checked: call it before the server starts, so a bad flag stops nothing running. */
export function retrainPolicy(flags: RetrainFlags): RetrainPolicy | null {
  if (flags.retrainEvery === undefined && flags.retrainAfter === undefined) {
    if (flags.retrainModels !== undefined) throw new UserError('--retrain-models needs --retrain-every <duration> or --retrain-after <n>');
    return null;
  }
  if (flags.retrainEvery !== undefined && !(flags.retrainEvery >= 1000)) throw new UserError(`--retrain-every must be at least 1s, got ${formatDuration(flags.retrainEvery)}`);
  return { everyMs: flags.retrainEvery, afterRatings: flags.retrainAfter };
}

/**
 * Starts the schedule the flags ask for (null: none asked). Its state shows in the service's
 * health; stop it (it stops a retrain in progress) before closing the server.
 */
export function startRetraining(flags: RetrainFlags, ctx: RetrainContext): RetrainScheduler | null {
  const policy = retrainPolicy(flags);
  if (policy === null) return null;
  const { service, log, dataDir } = ctx;
  if (service === null) throw new UserError('--retrain-every and --retrain-after need the recommendation service, which this server runs without');
  const registry = new ModelRegistry(dataDir);
  const scheduler = new RetrainScheduler({
    policy,
    models: flags.retrainModels ?? [],
    observe: () => observe(log, service),
    // `train --from-lake` fails on an empty lake: before `process` first flushes, wait instead.
    nothingToLearn: async () => (lakeHasRatings(dataDir) ? null : 'the ratings lake has no files yet'),
    run: trainInChild({ dataDir, models: () => flags.retrainModels ?? registeredModels(registry), logFile: join(dataDir, 'logs', 'retrain.log') }),
    onRun: (run) => ctx.notify(runLine(run)),
    onSkip: (reason, why) => ctx.notify(skipLine(reason, why)),
  });
  service.attachRetrain(() => scheduler.status());
  scheduler.start();
  return scheduler;
}

/** The kinds the registry has a `latest` of: what a retrain keeps fresh (empty: train's default). */
function registeredModels(registry: ModelRegistry): ModelName[] {
  return MODEL_NAMES.filter((name) => {
    try {
      return registry.latestVersion(name) !== undefined;
    } catch {
      return false;
    }
  });
}

async function observe(log: EventLog, service: RecommendationService): Promise<RetrainObservation> {
  const topic = await log.topic(RATINGS_TOPIC);
  const partitions = topic?.partitions ?? [];
  const arrived = partitions.reduce((s, p) => s + p.endOffset, 0);
  const held = partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0);
  return { arrived, unseen: service.unseenRatings() ?? held, busy: service.reloadPending };
}

/** "retrain (new ratings) started", "retrained from the lake in 4.2s: als …", "retrain failed after 2s: …". */
export function runLine(run: RetrainRun): string {
  const why = run.reason === 'schedule' ? 'schedule' : 'new ratings';
  if (run.ok === null) return `retrain (${why}) started: training from the lake in a child process`;
  const took = formatDuration((run.seconds ?? 0) * 1000);
  return run.ok ? `retrained from the lake in ${took}: ${run.message}` : `retrain failed after ${took}: ${run.message}`;
}

/** "retrain (schedule) waits: nothing to learn from yet (…); trying again each second". */
export function skipLine(reason: RetrainReason, why: string): string {
  return `retrain (${reason === 'schedule' ? 'schedule' : 'new ratings'}) waits: nothing to learn from yet (${why}); trying again each second`;
}

/** For a status line: "retrain running 12s", "retrain in 14m", "retrain after 1,000 new ratings (312)". */
export function retrainStatusLine(status: RetrainStatus, now = Date.now()): string {
  if (status.running) return `retrain running ${formatDuration(now - Date.parse(status.running.started_at))}`;
  const parts: string[] = [];
  if (status.next_at !== null) parts.push(`in ${formatDuration(Math.max(0, Date.parse(status.next_at) - now))}`);
  if (status.after_ratings !== null) parts.push(`after ${status.after_ratings.toLocaleString('en-US')} new ratings (${(status.pending_ratings ?? 0).toLocaleString('en-US')})`);
  const last = status.last && status.last.ok === false ? ' · last failed' : '';
  return `retrain ${parts.join(' or ')}${last}`;
}
