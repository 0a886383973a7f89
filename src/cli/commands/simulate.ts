import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { configuredPort, resolveDataDir } from '../../util/config.js';
import { ARRIVAL_KINDS, expectedRequests, type ArrivalKind } from '../simulate/arrivals.js';
import { JsonHttpClient } from '../simulate/http-client.js';
import { SimulationLog } from '../simulate/log-files.js';
import { formatProgressLine, formatSummary } from '../simulate/report.js';
import { requestLogLine } from '../simulate/request-record.js';
import { runSimulation } from '../simulate/runner.js';
import { checkService } from '../simulate/service-check.js';
import type { KnownUsersFrom, SimulationConfig } from '../simulate/summary.js';
import { checkUserChoice, DEFAULT_KNOWN_USERS, defaultUnknownUsers, parseUserRange, type UserRange } from '../simulate/users.js';
import { formatDuration } from '../../util/duration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, formatCount, interruptSignal } from '../context.js';
import { duration, fraction, positiveInt } from '../options.js';
import { UserError } from '../../util/errors.js';

interface SimulateFlags {
  url?: string;
  rate: number;
  duration: number;
  existing: number;
  n: number;
  arrivals: ArrivalKind;
  seed?: number;
  usersFrom?: UserRange;
  unknownFrom?: UserRange;
  timeout: number;
  concurrency: number;
  logsDir?: string;
  dataDir?: string;
  json?: boolean;
}

/** Longest the pre-flight health check waits, whatever --timeout says. */
const PREFLIGHT_TIMEOUT_MS = 10_000;

/** http://localhost:<STREAMREC_PORT or 8000>, where `streamrec serve` listens by default. */
function defaultApiUrl(): string {
  try {
    return `http://localhost:${configuredPort()}`;
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

function requestRate(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected requests per second (a number > 0).');
  return n;
}

function userRange(value: string): UserRange {
  try {
    return parseUserRange(value, 'the range');
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

export function simulateCommand(): Command {
  const command = new Command('simulate')
    .description('send recommendation traffic to the API at a steady rate (open loop) and measure it: live line, per-request JSONL log, summary JSON')
    .option('--url <url>', 'the recommendation API (default http://localhost:<STREAMREC_PORT or 8000>)')
    .option('--rate <n>', 'requests per second', requestRate, 10)
    .addOption(new Option('--duration <d>', 'how long to send (e.g. 60, 30s, 10m)').argParser(duration).default(60_000, '60s'))
    .option('--existing <f>', 'share of requests for known users (0..1); the rest go to unknown users', fraction, 0.8)
    .option('--n <n>', 'recommendations asked per request', positiveInt, 10)
    .addOption(new Option('--arrivals <kind>', 'uniform: one request every 1/rate s; poisson: random gaps with that mean').choices(ARRIVAL_KINDS).default('uniform'))
    .option('--seed <n>', 'random seed of users and arrivals: the same seed repeats the run', positiveInt)
    .option('--users-from <min-max>', `known user ids (default: what GET /recommendations/ reports, else ${DEFAULT_KNOWN_USERS.min}-${DEFAULT_KNOWN_USERS.max})`, userRange)
    .option('--unknown-from <min-max>', 'unknown user ids (default 300000-400000, or the 100,000 ids above the known ones)', userRange)
    .addOption(new Option('--timeout <d>', 'a request with no answer this long after it is sent fails as "Timeout"').argParser(duration).default(30_000, '30s'))
    .option('--concurrency <n>', 'most requests in flight; later ones wait, their latency still counted from their scheduled time', positiveInt, 256)
    .option('--logs-dir <dir>', 'where the JSONL log and summary go (default <data-dir>/logs)')
    .option('--json', 'print the summary JSON on stdout instead of the text summary')
    .addHelpText(
      'after',
      `
Examples:
  streamrec simulate                                     10 req/s for 60 s against http://localhost:8000
  streamrec simulate --rate 100 --duration 5m
  streamrec simulate --url http://api.internal:8000 --rate 20 --duration 120
  streamrec simulate --existing 0.5 --arrivals poisson --seed 7
  streamrec simulate --rate 50 --duration 30s --json | jq .latency

Latencies are measured from each request's scheduled send time, so a stalled server shows up as
latency rather than as fewer requests. Ctrl-C stops sending, waits for the requests in flight and
still writes the summary.`,
    )
    .action(async (flags: SimulateFlags) => {
      await runSimulate(flags);
    });
  return addDataDirOption(command);
}

async function runSimulate(flags: SimulateFlags): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const url = flags.url ?? defaultApiUrl();
  if (flags.timeout <= 0) throw new UserError('--timeout must be more than 0');
  let client: JsonHttpClient;
  try {
    client = new JsonHttpClient(url, { maxSockets: flags.concurrency, timeoutMs: flags.timeout });
  } catch (err) {
    throw new UserError(`--url: ${(err as Error).message}`);
  }
  try {
    say(
      `streamrec: simulating ${flags.rate} req/s for ${formatDuration(flags.duration)} (~${formatCount(expectedRequests(flags.rate, flags.duration))} requests, ` +
        `${flags.arrivals} arrivals) against ${client.base.href.replace(/\/$/, '')}`,
    );
    const service = await checkService(client, Math.min(flags.timeout, PREFLIGHT_TIMEOUT_MS));
    const version = service.modelVersion ?? 'unknown';
    if (service.healthStatus === 200) say(`API available (health latency: ${Math.round(service.healthLatencyMs)}ms), model version: ${version}`);
    else say(`warning: /recommendations/health answered HTTP ${service.healthStatus}${service.modelLoaded === false ? ' (no model loaded)' : ''}; simulating anyway`);

    const [known, knownFrom]: [UserRange, KnownUsersFrom] = flags.usersFrom
      ? [flags.usersFrom, 'flag']
      : service.users
        ? [{ min: service.users.min, max: service.users.max }, 'service']
        : [DEFAULT_KNOWN_USERS, 'default'];
    const unknown = flags.unknownFrom ?? defaultUnknownUsers(known);
    try {
      checkUserChoice({ known, unknown, existing: flags.existing });
    } catch (err) {
      throw new UserError(`--users-from / --unknown-from: ${(err as Error).message}`);
    }
    const seed = flags.seed ?? (Date.now() % 1_000_000) + 1;
    const config: SimulationConfig = {
      baseUrl: client.base.href.replace(/\/$/, ''),
      rate: flags.rate,
      durationMs: flags.duration,
      n: flags.n,
      existing: flags.existing,
      arrivals: flags.arrivals,
      seed,
      known,
      knownFrom,
      unknown,
      timeoutMs: flags.timeout,
      concurrency: flags.concurrency,
    };
    say(
      `users: ${Math.round(flags.existing * 100)}% known ${known.min}-${known.max} (${knownFrom === 'service' ? 'as the service reports' : knownFrom === 'flag' ? '--users-from' : 'default'}), ` +
        `the rest unknown ${unknown.min}-${unknown.max}; seed ${seed}`,
    );

    const logsDir = flags.logsDir ?? join(resolveDataDir(flags.dataDir), 'logs');
    let log: SimulationLog;
    try {
      log = new SimulationLog(logsDir);
    } catch (err) {
      throw new UserError(`cannot write the simulation log in ${logsDir}: ${(err as Error).message}`);
    }
    say(`log: ${log.jsonlPath}`);
    say('Ctrl-C stops sending and still writes the summary.');

    const line = progress();
    const run = await runSimulation({
      config,
      client,
      signal: interruptSignal(() => say('\nstopping: no more requests are sent; waiting for those in flight (Ctrl-C again exits now)')),
      onRecord: (record) => log.write(requestLogLine(record)),
      onProgress: (p) => line.update(formatProgressLine(p)),
    });
    line.done();
    const summary = run.tally.summary(config, {
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      interrupted: run.interrupted,
      modelVersion: service.modelVersion,
      logFile: log.jsonlPath,
    });
    try {
      await log.close();
      log.writeSummary(summary);
    } catch (err) {
      // A full disk, say: the run is measured but its files are not whole; show the summary anyway.
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      throw new UserError(`the simulation log is incomplete: ${(err as Error).message}`);
    }
    say(`summary: ${log.summaryPath}`);
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
  } finally {
    client.close();
  }
}
