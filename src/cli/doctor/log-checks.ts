/**
 * The embedded log: the file passes SQLite's quick_check (read-only, beside a running server), its
 * topics and record counts, the consumer groups' lag, and records retention deleted before a group
 * read them.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { openLog } from '../../log/open-log.js';
import { SCHEMA_VERSION } from '../../log/sqlite/schema.js';
import { checkLogIntegrity } from '../../log/sqlite/sqlite-integrity.js';
import type { EventLog, GroupLag, TopicInfo } from '../../log/types.js';
import { logPath } from '../../util/config.js';
import { diskWriteProblem } from '../../util/disk-errors.js';
import { formatCount } from '../context.js';
import { probeWrite } from './data-dir-checks.js';
import type { DoctorContext } from './doctor-context.js';
import { ok, problem, skipped, warn, type Finding } from './finding.js';

export interface LogCheckResult {
  findings: Finding[];
  /** The log, open, when it exists and is sound (the caller closes it); null otherwise. */
  log: EventLog | null;
}

/** Checks the log file, then opens it for the checks that read it. */
export function checkLogFile(ctx: DoctorContext): LogCheckResult {
  if (ctx.config.log !== 'embedded') return openRemoteLog(ctx);
  const path = logPath(ctx.dataDir);
  if (!existsSync(path)) {
    return { findings: [skipped('log', `no event log yet at ${path}: nothing was ingested here (\`streamrec up\` or \`streamrec generate ratings\` creates it)`)], log: null };
  }
  const salvage = `stop every streamrec process on ${ctx.dataDir}, copy ${path}* somewhere safe, and salvage it with \`sqlite3 ${path} .recover | sqlite3 recovered.db\``;
  let integrity;
  try {
    integrity = checkLogIntegrity(path);
  } catch (err) {
    const cause = diskCause(err, path);
    if (cause !== null) return { findings: [skipped('log', `not checked: SQLite cannot open ${path} ${cause} (see data-dir)`)], log: null };
    return { findings: [problem('log.integrity', `cannot read ${path}: ${(err as Error).message}`, salvage)], log: null };
  }
  if (integrity.schemaVersion > SCHEMA_VERSION) {
    return { findings: [problem('log.integrity', `${path} was written by a newer streamrec (log schema ${integrity.schemaVersion}, this one reads ${SCHEMA_VERSION})`, 'upgrade streamrec')], log: null };
  }
  if (integrity.errors.length > 0) {
    const more = integrity.errors.length > 1 ? ` (and ${integrity.errors.length - 1} more)` : '';
    return { findings: [problem('log.integrity', `${path} fails SQLite's quick_check: ${integrity.errors[0]}${more}`, salvage)], log: null };
  }
  const findings = [ok('log.integrity', `${path} passes SQLite's quick_check`)];
  try {
    return { findings, log: openLog({ dataDir: ctx.dataDir }) };
  } catch (err) {
    findings.push(problem('log.open', `cannot open ${path}: ${(err as Error).message}`, 'check the data dir findings above (space, permissions)'));
    return { findings, log: null };
  }
}

/** A remote log has no file here to check: it is opened (it connects on first read) for the checks that read it. */
function openRemoteLog(ctx: DoctorContext): LogCheckResult {
  try {
    const log = openLog({ dataDir: ctx.dataDir, log: ctx.config.log });
    return { findings: [ok('log', `remote log ${log.description}: its server keeps it (no file here to check)`)], log };
  } catch (err) {
    return { findings: [problem('log.open', (err as Error).message, 'fix --log / STREAMREC_LOG')], log: null };
  }
}

/**
 * Why the log could not be opened when the disk, not the file, is to blame: SQLite creates and
 * maps a shared-memory file beside the log even to read it, which a full, read-only or
 * unwritable directory refuses. The data dir's findings already name that cause.
 */
function diskCause(err: unknown, path: string): string | null {
  const disk = diskWriteProblem(err) ?? probeWrite(dirname(path))?.kind ?? null;
  if (disk === 'full') return 'while the disk is full';
  if (disk === 'read-only') return 'on a read-only file system (it needs its -shm file)';
  if (disk === 'denied') return 'in a directory this user cannot write (it needs its -shm file)';
  return null;
}

/** Topics with their record counts, the groups' lag, and what retention took from under a group. */
export async function checkLogContents(log: EventLog): Promise<Finding[]> {
  const topics = await log.topics();
  const groups = await log.groups();
  return [topicsFinding(topics), groupsFinding(groups), ...retentionFindings(topics, groups)];
}

function records(t: TopicInfo): number {
  return t.partitions.reduce((s, p) => s + (p.endOffset - p.startOffset), 0);
}

function topicsFinding(topics: TopicInfo[]): Finding {
  if (topics.length === 0) return ok('log.topics', 'no topics yet');
  const listed = [...topics].sort((a, b) => a.name.localeCompare(b.name)).map((t) => `${t.name} ${formatCount(records(t))}`);
  const total = topics.reduce((s, t) => s + records(t), 0);
  return ok('log.topics', `${topics.length} topics, ${formatCount(total)} records: ${listed.join(', ')}`);
}

function groupsFinding(groups: GroupLag[]): Finding {
  const lagByGroup = new Map<string, number>();
  for (const g of groups) lagByGroup.set(g.group, (lagByGroup.get(g.group) ?? 0) + g.lag);
  if (lagByGroup.size === 0) return ok('log.groups', 'no consumer groups yet');
  const behind = [...lagByGroup].filter(([, lag]) => lag > 0);
  const detail = behind.length === 0 ? 'all caught up' : `behind: ${behind.map(([g, lag]) => `${g} ${formatCount(lag)}`).join(', ')}`;
  return ok('log.groups', `${lagByGroup.size} consumer groups, ${detail}`);
}

/** A group whose committed offset is below the partition's first offset never read what retention deleted. */
function retentionFindings(topics: TopicInfo[], groups: GroupLag[]): Finding[] {
  const starts = new Map(topics.flatMap((t) => t.partitions.map((p) => [`${t.name}/${p.partition}`, p.startOffset] as const)));
  const lost = new Map<string, { missed: number; where: string[] }>();
  for (const g of groups) {
    const start = starts.get(`${g.topic}/${g.partition}`) ?? 0;
    if (g.committed === null || g.committed >= start) continue;
    const entry = lost.get(g.group) ?? { missed: 0, where: [] };
    entry.missed += start - g.committed;
    entry.where.push(`${g.topic}[${g.partition}]`);
    lost.set(g.group, entry);
  }
  return [...lost].map(([group, { missed, where }]) =>
    warn(
      `log.retention.${group}`,
      `retention deleted ${formatCount(missed)} records of ${where.join(', ')} before group ${group} read them: they are gone from what it writes`,
      'keep the consumer running, or give the topic a longer retention; the next read starts at the oldest record kept',
    ),
  );
}
