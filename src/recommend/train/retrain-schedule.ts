// When `up` and `serve` retrain the models from the lake by themselves (`--retrain-every`,
// `--retrain-after`): the rule is a pure function (retrainDue); the scheduler looks once a second,
// runs one retrain at a time through the runner it is given (a child process running
// `streamrec train --from-lake`: off the request path) and keeps the state health shows. A due
// retrain with nothing to learn from (the lake still empty) is skipped, not failed, and the next
// look tries again. The
// server's hot reload then picks the new versions up, as it does after a `train` by hand.
import type { RetrainRun, RetrainStatus } from '../serving/page-contract.js';

export interface RetrainPolicy {
  /** Retrain this long after the last retrain started (or the schedule did). */
  everyMs?: number;
  /** Retrain once the served models have not seen this many ratings (and as many arrived since the last retrain started). */
  afterRatings?: number;
  /** After a failed retrain, a trigger may start the next one this soon (default 30 s). */
  retryAfterFailureMs?: number;
}

/** What the scheduler looks at, once a second. */
export interface RetrainObservation {
  /** Ratings the served models have not seen (the most of any model); with no model served, every rating the topic holds. */
  unseen: number;
  /** Ratings ever appended to the ratings topic (its partitions' end offsets, summed): it only grows. */
  arrived: number;
  /** A model reload is running or due: a retrain waits, as its import rewrites the dataset a reload reads. */
  busy: boolean;
}

/** What the rule remembers of past retrains. */
export interface RetrainHistory {
  /** When the last retrain started; the schedule's start before the first. */
  lastStartAt: number;
  /** When the last retrain ended (null before the first ended). */
  lastEndAt: number | null;
  /** `arrived` when the last retrain started (null before the first). */
  arrivedAtLastStart: number | null;
  /** How the last retrain ended (null before the first ended). */
  lastOk: boolean | null;
}

export type RetrainReason = RetrainRun['reason'];

export const DEFAULT_RETRY_AFTER_FAILURE_MS = 30_000;

/**
 * Whether to start a retrain now, and why; null: not now. Never while a reload is pending.
 * - `ratings`: the served models have not seen `afterRatings` ratings, and as many arrived on the
 *   topic since the last retrain started (so a retrain that could not take them in — the lake not
 *   flushed yet — is not repeated at once), or the last retrain failed long enough ago.
 * - `schedule`: `everyMs` passed since the last retrain started — unless it succeeded and no
 *   rating arrived since (it would train on the same data).
 */
export function retrainDue(policy: RetrainPolicy, history: RetrainHistory, seen: RetrainObservation, now: number): RetrainReason | null {
  if (seen.busy) return null;
  const retryAllowed = history.lastOk === false && history.lastEndAt !== null && now - history.lastEndAt >= (policy.retryAfterFailureMs ?? DEFAULT_RETRY_AFTER_FAILURE_MS);
  const after = policy.afterRatings;
  if (after !== undefined && seen.unseen >= after) {
    const arrivedSince = history.arrivedAtLastStart === null ? Infinity : seen.arrived - history.arrivedAtLastStart;
    if (arrivedSince >= after || retryAllowed) return 'ratings';
  }
  const every = policy.everyMs;
  if (every !== undefined && now - history.lastStartAt >= every) {
    const nothingNew = history.lastOk === true && history.arrivedAtLastStart !== null && seen.arrived <= history.arrivedAtLastStart;
    if (!nothingNew) return 'schedule';
  }
  return null;
}

/** How a retrain went: ok, and one line saying what it did or why it failed. */
export interface RetrainOutcome {
  ok: boolean;
  message: string;
}

export interface RetrainSchedulerOptions {
  policy: RetrainPolicy;
  /** The models each retrain trains, for status (empty: the runner's default). */
  models: readonly string[];
  observe(): Promise<RetrainObservation>;
  /** Runs one retrain; aborting the signal asks it to stop (nothing half-trained is committed). */
  run(reason: RetrainReason, signal: AbortSignal): Promise<RetrainOutcome>;
  /**
   * Why a due retrain would have nothing to learn from now (e.g. the lake holds no ratings yet),
   * or null when it has. A retrain that has nothing is skipped, not failed: the next look asks again.
   */
  nothingToLearn?(): Promise<string | null>;
  /** Hears each retrain as it starts and ends. */
  onRun?(run: RetrainRun): void;
  /** Hears a due retrain skipped for having nothing to learn from: once until the reason changes or a retrain runs. */
  onSkip?(reason: RetrainReason, why: string): void;
  checkEveryMs?: number;
  now?: () => number;
}

export class RetrainScheduler {
  private readonly history: RetrainHistory;
  private running: { run: RetrainRun; done: Promise<void> } | null = null;
  private last: RetrainRun | null = null;
  private runs = 0;
  private failures = 0;
  private pending: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private looking = false;
  /** The last skip told to onSkip (null: none since the last retrain started). */
  private skipped: string | null = null;
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly now: () => number;

  constructor(private readonly options: RetrainSchedulerOptions) {
    const { everyMs, afterRatings } = options.policy;
    if (everyMs === undefined && afterRatings === undefined) throw new RangeError('a retrain schedule needs everyMs or afterRatings');
    if (everyMs !== undefined && !(everyMs > 0)) throw new RangeError(`retrain interval must be positive, got ${everyMs} ms`);
    if (afterRatings !== undefined && !(Number.isInteger(afterRatings) && afterRatings > 0)) throw new RangeError(`retrain-after must be a whole number ≥ 1, got ${afterRatings}`);
    this.now = options.now ?? Date.now;
    this.history = { lastStartAt: this.now(), lastEndAt: null, arrivedAtLastStart: null, lastOk: null };
  }

  /** Looks once a second (checkEveryMs) from now on. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.options.checkEveryMs ?? 1000);
    this.timer.unref();
  }

  /** Stops looking and stops a retrain in progress (waiting for it to end). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await this.running?.done;
  }

  /** One look: starts a retrain when due (and none runs); true when it started one. */
  async tick(): Promise<boolean> {
    if (this.looking || this.running || this.stopped) return false;
    this.looking = true;
    try {
      const seen = await this.options.observe();
      this.pending = seen.unseen;
      const now = this.now();
      const reason = retrainDue(this.options.policy, this.history, seen, now);
      if (reason === null || this.stopped) return false;
      // Checked only when due, so an idle schedule never looks at the lake.
      const why = (await this.options.nothingToLearn?.()) ?? null;
      if (why !== null) {
        if (this.skipped !== why) this.options.onSkip?.(reason, why);
        this.skipped = why;
        return false;
      }
      if (this.stopped) return false;
      this.skipped = null;
      this.begin(reason, seen, now);
      return true;
    } catch {
      return false; // the log or registry unreadable for a moment: the next look retries
    } finally {
      this.looking = false;
    }
  }

  /** Resolves when no retrain runs. */
  async idle(): Promise<void> {
    while (this.running) await this.running.done;
  }

  private begin(reason: RetrainReason, seen: RetrainObservation, now: number): void {
    this.history.lastStartAt = now;
    this.history.arrivedAtLastStart = seen.arrived;
    const run: RetrainRun = { reason, started_at: new Date(now).toISOString(), finished_at: null, seconds: null, ok: null, message: null };
    this.runs++;
    this.options.onRun?.({ ...run });
    const done = this.options
      .run(reason, this.stopping.signal)
      .catch((err: unknown): RetrainOutcome => ({ ok: false, message: err instanceof Error ? err.message : String(err) }))
      .then((outcome) => {
        const end = this.now();
        run.finished_at = new Date(end).toISOString();
        run.seconds = Math.round((end - now) / 100) / 10;
        run.ok = outcome.ok;
        run.message = outcome.message;
        if (!outcome.ok) this.failures++;
        this.history.lastEndAt = end;
        this.history.lastOk = outcome.ok;
        this.last = run;
        this.running = null;
        this.options.onRun?.({ ...run });
      });
    this.running = { run, done };
  }

  status(): RetrainStatus {
    const { everyMs, afterRatings } = this.options.policy;
    return {
      every_seconds: everyMs === undefined ? null : everyMs / 1000,
      after_ratings: afterRatings ?? null,
      models: [...this.options.models],
      running: this.running ? { ...this.running.run } : null,
      last: this.last ? { ...this.last } : null,
      runs: this.runs,
      failures: this.failures,
      next_at: everyMs === undefined ? null : new Date(this.history.lastStartAt + everyMs).toISOString(),
      pending_ratings: this.pending,
    };
  }
}
