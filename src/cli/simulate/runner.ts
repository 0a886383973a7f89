import { arrivalOffsets } from './arrivals.js';
import { JsonHttpClient } from './http-client.js';
import { readRecommendAnswer, recommendPath } from './recommend-response.js';
import type { RequestRecord } from './request-record.js';
import { SimulationTally, type LiveStats, type SimulationConfig } from './summary.js';
import { userChooser, type ChosenUser } from './users.js';

export interface RunProgress extends LiveStats {
  elapsedMs: number;
  /** Share of the planned duration elapsed, 0..1. */
  fraction: number;
  inFlight: number;
  /** Due but held back by the concurrency cap. */
  queued: number;
  /** sending: the schedule runs; draining: waiting for the last answers. */
  phase: 'sending' | 'draining';
}

export interface RunOptions {
  config: SimulationConfig;
  /** The client to send with (its pool should allow config.concurrency sockets); default: a new one, closed at the end. */
  client?: JsonHttpClient;
  /** Abort: stop sending, drop requests not yet sent, wait for those in flight. */
  signal?: AbortSignal;
  onRecord?: (record: RequestRecord) => void;
  onProgress?: (progress: RunProgress) => void;
  progressEveryMs?: number;
}

export interface SimulationRun {
  tally: SimulationTally;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  interrupted: boolean;
  sent: number;
  /** Due but held back by the concurrency cap when interrupted, so never sent. */
  dropped: number;
}

interface Due {
  /** Intended send time, performance.now() ms. */
  at: number;
  user: ChosenUser;
}

/**
 * Runs the open-loop simulation. Request i is due at start + offset i whatever happened before it;
 * at most `concurrency` are on the wire, the rest wait in order, and every latency is measured
 * from the due time — so a server that stalls makes the requests queued behind the stall slow
 * too, instead of quietly receiving fewer requests (coordinated omission).
 */
export function runSimulation(options: RunOptions): Promise<SimulationRun> {
  const { config } = options;
  const client = options.client ?? new JsonHttpClient(config.baseUrl, { maxSockets: config.concurrency, timeoutMs: config.timeoutMs });
  // Arrivals and users draw from separate streams: switching uniform/poisson keeps the users.
  const schedule = arrivalOffsets({ rate: config.rate, durationMs: config.durationMs, kind: config.arrivals, seed: config.seed ^ 0x5bd1e995 });
  const chooseUser = userChooser({ known: config.known, unknown: config.unknown, existing: config.existing, seed: config.seed });
  const tally = new SimulationTally();
  const startPerf = performance.now();
  const startedAt = Date.now();
  const wall = (perf: number) => startedAt + (perf - startPerf);

  const waiting: Due[] = [];
  let head = 0;
  let inFlight = 0;
  let sent = 0;
  let dropped = 0;
  let interrupted = false;
  let scheduleDone = false;
  let next = schedule.next();
  let timer: NodeJS.Timeout | undefined;
  let finished = false;

  return new Promise<SimulationRun>((resolve, reject) => {
    const progress = (): void => {
      if (!options.onProgress) return;
      const elapsedMs = performance.now() - startPerf;
      options.onProgress({
        ...tally.live(),
        elapsedMs,
        // The schedule is over a little before the duration (the last request is due at (n − 1) / rate).
        fraction: (scheduleDone && !interrupted) || config.durationMs <= 0 ? 1 : Math.min(1, elapsedMs / config.durationMs),
        inFlight,
        queued: waiting.length - head,
        phase: scheduleDone ? 'draining' : 'sending',
      });
    };
    const ticker = options.onProgress ? setInterval(progress, options.progressEveryMs ?? 200) : undefined;

    const end = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearInterval(ticker);
      options.signal?.removeEventListener('abort', stop);
      if (!options.client) client.close();
      if (err !== undefined) return reject(err instanceof Error ? err : new Error(String(err)));
      progress();
      resolve({ tally, startedAt, endedAt: Date.now(), interrupted, sent, dropped });
    };
    const endIfDone = (): void => {
      if (scheduleDone && head === waiting.length && inFlight === 0) end();
    };

    const send = (due: Due): void => {
      inFlight++;
      sent++;
      const { userId, known } = due.user;
      const path = recommendPath(userId, config.n);
      const sendDelayMs = performance.now() - due.at;
      void client.get(path).then((outcome) => {
        inFlight--;
        if (finished) return;
        try {
          const record: RequestRecord = {
            userId,
            known,
            n: config.n,
            endpoint: path.slice(0, path.indexOf('?')),
            scheduledAt: wall(due.at),
            completedAt: wall(outcome.endedAt),
            latencyMs: outcome.endedAt - due.at,
            sendDelayMs,
            status: outcome.status,
            success: false,
          };
          const answer = outcome.ok ? readRecommendAnswer(outcome.body) : null;
          if (answer) {
            record.success = true;
            record.recommendations = answer.recommendations;
            if (answer.source !== undefined) record.source = answer.source;
            if (answer.modelVersion !== undefined) record.modelVersion = answer.modelVersion;
          } else {
            record.error = outcome.ok ? 'Bad response' : (outcome.error ?? 'Error');
          }
          tally.add(record);
          options.onRecord?.(record);
          sendWaiting();
          endIfDone();
        } catch (err) {
          end(err);
        }
      });
    };

    const sendWaiting = (): void => {
      while (head < waiting.length && inFlight < config.concurrency) send(waiting[head++]!);
      // Compact now and then so a long backlog does not keep every sent entry alive.
      if (head > 4096 && head * 2 > waiting.length) {
        waiting.splice(0, head);
        head = 0;
      }
    };

    const tick = (): void => {
      timer = undefined;
      const now = performance.now() - startPerf;
      // Everything due by now, even if this timer fired late: late timers add latency, not gaps.
      while (!next.done && next.value <= now) {
        waiting.push({ at: startPerf + next.value, user: chooseUser() });
        next = schedule.next();
      }
      if (next.done) scheduleDone = true;
      sendWaiting();
      if (!next.done) timer = setTimeout(tick, Math.max(0, next.value - (performance.now() - startPerf)));
      endIfDone();
    };

    function stop(): void {
      interrupted = true;
      scheduleDone = true;
      clearTimeout(timer);
      dropped += waiting.length - head;
      waiting.length = 0;
      head = 0;
      endIfDone();
    }

    if (options.signal?.aborted) return stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      tick();
    } catch (err) {
      end(err);
    }
  });
}
