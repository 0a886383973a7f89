/**
 * Each registered pipeline: who owns it (its lease), whether its checkpoint can be resumed by
 * this definition, how far its watermark is from the clock, and what it has not processed yet.
 */
import { hostname } from 'node:os';
import { assertCompatible, CheckpointMismatchError, loadCheckpoint, type Checkpoint } from '../../engine/checkpoint.js';
import { specFingerprint, type PipelineSpec } from '../../engine/pipeline.js';
import { pipelineGroup } from '../../engine/pipeline-runner.js';
import { WindowOperator } from '../../engine/window-operator.js';
import type { TopicInfo } from '../../log/types.js';
import { declaredSourceTopics } from '../../pipelines/pipeline-declaration.js';
import { openPipeline, type AnyPipelineDeclaration } from '../../pipelines/registry.js';
import { formatDuration } from '../../util/duration.js';
import { formatCount } from '../context.js';
import type { LogContext } from './doctor-context.js';
import { ok, problem, skipped, warn, type Finding } from './finding.js';
import { readLease, type LeaseInfo as LeaseView } from '../../log/lease.js';
import { loadConfig } from '../../util/config.js';
import { formatAge } from './units.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySpec = PipelineSpec<any, any, any, any>;

/** The lease key a pipeline's owner holds (see `log/lease.ts`). */
export function pipelineLeaseKey(name: string): string {
  return `pipeline:${name}`;
}

/** A watermark further ahead of the clock than this is worth a warning (live events would be late). */
const AHEAD_TOLERANCE_MS = 1000;

/** The topics a pipeline reads, for messages: `ratings`, or `transactions`, `searches` … */
function topicsText(declaration: AnyPipelineDeclaration): string {
  return declaredSourceTopics(declaration).map((t) => `\`${t}\``).join(', ');
}

export async function checkPipeline(declaration: AnyPipelineDeclaration, ctx: LogContext): Promise<Finding[]> {
  const { name } = declaration;
  const { log } = ctx;
  // Every topic it reads (one, or several merged: commerce); null until all exist.
  const infos = await Promise.all(declaredSourceTopics(declaration).map((t) => log.topic(t)));
  const sources = infos.every((i) => i !== null) ? (infos as TopicInfo[]) : null;
  const output = await log.topic(declaration.outputTopic);
  // Twice the TTL (at least 10 s): a busy owner's heartbeat may run late, and doctor only reports.
  const lease = await readLease(log, pipelineLeaseKey(name), { ttlMs: Math.max(2 * loadConfig().leaseTtlMs, 10_000), now: ctx.now });
  const base = `pipeline.${name}`;
  let stored: Checkpoint | null;
  try {
    stored = await loadCheckpoint(log, name);
  } catch (err) {
    return [ownerFinding(base, lease, ctx.now), problem(`${base}.checkpoint`, `the checkpoint of ${name} is unreadable: ${(err as Error).message}`, `\`streamrec reset ${name}\` drops it; the next run reprocesses from the earliest offset`)];
  }
  if (sources === null && stored === null && lease === null) {
    return [skipped(base, `not used yet: no ${topicsText(declaration)} topic`)];
  }
  const findings = [ownerFinding(base, lease, ctx.now)];
  if (stored !== null) {
    const compat = await checkpointFinding(declaration, stored, sources, ctx);
    findings.push(compat.finding);
    if (compat.watermark !== null) findings.push(watermarkFinding(base, name, compat.watermark, lease, ctx.now));
  } else {
    findings.push(ok(`${base}.checkpoint`, 'no checkpoint: the next run starts at the earliest offset'));
  }
  const committed = new Map<string, number>();
  for (const topic of declaredSourceTopics(declaration)) {
    for (const c of await log.committed(pipelineGroup(name), topic)) committed.set(`${topic}/${c.partition}`, c.offset);
  }
  findings.push(progressFinding(declaration, committed, sources, output, lease));
  return findings;
}

function ownerFinding(base: string, lease: LeaseView | null, now: number): Finding {
  const name = `${base}.owner`;
  if (lease === null) return ok(name, 'not running (no owner recorded)');
  const who = `pid ${lease.owner.pid} on ${lease.owner.host} since ${lease.owner.since} (epoch ${lease.epoch})`;
  const beat = lease.heartbeatAt === null ? 'no heartbeat' : `heartbeat ${formatAge(lease.heartbeatAt, now)}`;
  if (lease.live) return ok(name, `owned by ${who}, ${beat}`);
  const gone = lease.owner.host === hostname() && !pidAlive(lease.owner.pid) ? `; pid ${lease.owner.pid} is not running` : '';
  return ok(name, `not running: last owned by ${who}, ${beat}${gone}; the next run takes over`);
}

interface CompatResult {
  finding: Finding;
  /** The watermark the runner would resume with (null: it would not resume; -Infinity: no event yet). */
  watermark: number | null;
}

/**
 * Whether the pipeline as declared resumes from the checkpoint (the runner's own test). A
 * checkpoint written with another `--out-of-orderness` resumes only with that flag: a warning.
 */
async function checkpointFinding(declaration: AnyPipelineDeclaration, stored: Checkpoint, sources: TopicInfo[] | null, ctx: LogContext): Promise<CompatResult> {
  const { name } = declaration;
  const findingName = `pipeline.${name}.checkpoint`;
  const resetFix = `\`streamrec reset ${name}\` drops the checkpoint and reprocesses from the earliest offset (or run the streamrec version that wrote it)`;
  const spec = (await openPipeline(name, { dataDir: ctx.dataDir, log: ctx.log })).spec;
  const done = `${formatCount(eventsDone(stored))} events done, written ${formatAge(Date.parse(stored.writtenAt), ctx.now)}`;
  const mismatch = compatibility(name, stored, spec);
  let resumable = spec;
  let flagNote: Finding | null = null;
  if (mismatch !== null) {
    const flagged = await withStoredOutOfOrderness(declaration, stored, ctx);
    if (flagged === null) return { finding: problem(findingName, withoutFix(mismatch), resetFix), watermark: null };
    const flag = `--out-of-orderness ${formatDuration(flagged.outOfOrdernessMs)}`;
    resumable = flagged;
    flagNote = warn(
      findingName,
      `written with ${flag} (the default is ${formatDuration(spec.outOfOrdernessMs)}); ${done}`,
      `run \`streamrec process ${name} ${flag}\`: without the flag the checkpoint is refused (or \`streamrec reset ${name}\` to start over with the default)`,
    );
  }
  // The runner's own second test (one position a source partition, each topic's partitions as
  // the checkpoint recorded them), where positions are a plain list.
  const partitions = sources?.map((t) => t.partitions.length);
  const storedPartitions = isOffsetList(stored.partitions) ? stored.partitions : isOffsetList(stored.positions) ? [stored.positions.length] : null;
  if (partitions !== undefined && storedPartitions !== null && storedPartitions.join() !== partitions.join()) {
    return { finding: problem(findingName, `the checkpoint of ${name} has positions for ${storedPartitions.join(' + ')} partitions, ${topicsText(declaration)} ${partitions.length > 1 ? 'have' : 'has'} ${partitions.join(' + ')}`, resetFix), watermark: null };
  }
  let watermark: number;
  try {
    watermark = restoreOperator(resumable, stored).currentWatermark();
  } catch (err) {
    return { finding: problem(findingName, `the checkpoint of ${name} holds state this version cannot read: ${(err as Error).message}`, resetFix), watermark: null };
  }
  return { finding: flagNote ?? ok(findingName, `compatible with this version; ${done}`), watermark };
}

/** Events the checkpoint has seen: counted, late and dead-lettered (what `process` prints on resuming). */
function eventsDone(stored: Checkpoint): number {
  const n = Number(stored.operator?.events ?? 0) + Number(stored.operator?.late ?? 0) + Number(stored.deadLettered ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function isOffsetList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

/** The runner's refusal message, or null when the checkpoint resumes. */
function compatibility(name: string, stored: Checkpoint, spec: AnySpec): string | null {
  try {
    assertCompatible(name, stored.fingerprint, specFingerprint(spec));
    return null;
  } catch (err) {
    if (err instanceof CheckpointMismatchError) return err.message;
    throw err;
  }
}

/** The spec opened with the checkpoint's out-of-orderness, when that alone makes it compatible. */
async function withStoredOutOfOrderness(declaration: AnyPipelineDeclaration, stored: Checkpoint, ctx: LogContext): Promise<AnySpec | null> {
  const f = stored.fingerprint;
  const ms = f.outOfOrdernessMs ?? f.allowedLatenessMs;
  if (typeof ms !== 'number' || !(ms >= 0)) return null;
  const spec = (await openPipeline(declaration.name, { dataDir: ctx.dataDir, log: ctx.log, outOfOrdernessMs: ms })).spec;
  return compatibility(declaration.name, stored, spec) === null ? spec : null;
}

/** The runner's message names its fix in a last sentence: the doctor prints the fix on its own. */
function withoutFix(message: string): string {
  return message.replace(/\s*Run `[^`]*`[^]*$/, '');
}

/** The window operator as the runner would resume it (throws when the state cannot be read). */
function restoreOperator(spec: AnySpec, stored: Checkpoint): WindowOperator<unknown, unknown, unknown> {
  const operator = new WindowOperator({ windows: spec.windows, aggregate: spec.aggregate, outOfOrdernessMs: spec.outOfOrdernessMs, emitIntervalMs: spec.emitIntervalMs });
  operator.restore(stored.operator);
  return operator;
}

/**
 * The checkpoint's watermark against the clock. Ahead of it, events stamped before it count as
 * late: a problem for a running pipeline fed live events (a warning), expected after a run that
 * closed its windows at the end of its input (said, not warned).
 */
function watermarkFinding(base: string, name: string, watermark: number, lease: LeaseView | null, now: number): Finding {
  if (!Number.isFinite(watermark)) return ok(`${base}.watermark`, 'no watermark yet (no event processed)');
  const at = new Date(watermark).toISOString();
  const ahead = watermark - now;
  if (ahead <= AHEAD_TOLERANCE_MS) return ok(`${base}.watermark`, `${at}, ${formatDuration(now - watermark)} behind the clock`);
  const lateUntil = `events stamped before it count as late for the next ${formatDuration(ahead)}`;
  if (lease?.live !== true) {
    return ok(`${base}.watermark`, `${at}, ${formatDuration(ahead)} ahead of the clock (the last run closed its windows at the end of its input): if a live run starts now, ${lateUntil}`);
  }
  return warn(
    `${base}.watermark`,
    `${at}, ${formatDuration(ahead)} ahead of the clock while ${name} runs: ${lateUntil}`,
    `nothing to do for replayed or backfilled data; for live events, wait, or stop ${name} and \`streamrec reset ${name}\` to reprocess with a fresh watermark`,
  );
}

/** What the pipeline has not processed yet (by its group's committed offsets, `<topic>/<partition>`), and whether anything is processing it. */
function progressFinding(declaration: AnyPipelineDeclaration, committed: Map<string, number>, sources: TopicInfo[] | null, output: TopicInfo | null, lease: LeaseView | null): Finding {
  const { name } = declaration;
  const findingName = `pipeline.${name}.lag`;
  const topics = topicsText(declaration);
  const results = output === null ? 'no results yet' : `${formatCount(output.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0))} results in \`${declaration.outputTopic}\``;
  if (sources === null) return ok(findingName, `no ${topics} topic; ${results}`);
  // The runner commits its source positions to its group in each checkpoint's transaction.
  let lag = 0;
  for (const source of sources) {
    for (const p of source.partitions) lag += Math.max(0, p.endOffset - Math.max(p.startOffset, committed.get(`${source.name}/${p.partition}`) ?? p.startOffset));
  }
  if (lag === 0) return ok(findingName, `caught up with ${topics}; ${results}`);
  if (lease?.live === true) return ok(findingName, `processing: ${formatCount(lag)} events of ${topics} to go; ${results}`);
  return warn(findingName, `${formatCount(lag)} events of ${topics} not processed yet, and no processor holds ${name}; ${results}`, `\`streamrec process ${name}\` (or \`streamrec up\`)`);
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
