/**
 * The lake against the committed offsets: a sink's consumer group commits after its files are in
 * place, so every data file must start below the committed offset of its source partition. A file
 * at or past it was written by a flush that never committed (the sink deletes it at its next
 * start and writes those rows again); until then queries count its rows. Also: temporary files a
 * crash left, and files that are not whole Parquet files (queries fail on them).
 */
import { join } from 'node:path';
import { lakeTableDir } from '../../lake/lake-table.js';
import { isWholeParquetFile, listLakeFiles, type LakeDataFile } from '../../lake/lake-files.js';
import type { LakeSinkTarget } from '../../lake/lake-reset.js';
import { LAKE_MANIFEST_NAMESPACE } from '../../lake/lake-sink.js';
import type { AnyPipelineDeclaration } from '../../pipelines/registry.js';
import { formatCount } from '../context.js';
import type { LogContext } from './doctor-context.js';
import { ok, problem, skipped, warn, type Finding } from './finding.js';
import { formatBytes, plural } from './units.js';

/**
 * A file past the commit younger than this may be a flush of a running sink between its rename
 * and its commit: not reported.
 */
export const IN_FLIGHT_MS = 15_000;

/** Where a lake sink lists the files of its last committed flush it still has to rename, by group. */
const LAKE_RENAMES_NAMESPACE = LAKE_MANIFEST_NAMESPACE;

/** Files named in a finding; the rest are counted. */
const NAMED = 3;

export async function checkPipelineLake(declaration: AnyPipelineDeclaration, ctx: LogContext): Promise<Finding[]> {
  const lake = declaration.lake;
  if (lake === undefined) return [];
  const findings: Finding[] = [];
  for (const writer of lake.sinks({ log: ctx.log, dataDir: ctx.dataDir })) {
    const target = writer.target ?? null;
    if (target === null) {
      findings.push(skipped(`lake.${declaration.name}`, 'a lake writer the doctor cannot inspect (not a LakeSink)'));
      continue;
    }
    findings.push(...(await checkLakeTable(declaration.name, target, ctx)));
  }
  return findings;
}

export async function checkLakeTable(pipeline: string, target: LakeSinkTarget, ctx: LogContext): Promise<Finding[]> {
  const name = `lake.${target.table}`;
  const root = lakeTableDir(ctx.dataDir, { path: target.table });
  const files = listLakeFiles(root);
  const committed = new Map((await ctx.log.committed(target.group, target.topic)).map((c) => [c.partition, c.offset]));
  const restart = `restart the ${pipeline} lake sinks (\`streamrec process ${pipeline}\` or \`streamrec up\`)`;
  const findings: Finding[] = [];

  const past = files.data.filter((f) => f.offset >= (committed.get(f.partition) ?? 0) && ctx.now - f.mtimeMs >= IN_FLIGHT_MS);
  if (past.length > 0) {
    findings.push(
      problem(
        `${name}.commit`,
        `${plural(past.length, 'file')} past the offsets ${target.group} committed (${describePast(past, committed, root)}): rows the sink never committed (or a rewound sink left), which queries count until the sink removes them`,
        `${restart}: they delete such files when they start and write those rows again`,
      ),
    );
  }
  const broken = files.data.filter((f) => !past.includes(f) && !isWholeParquetFile(f.path));
  if (broken.length > 0) {
    findings.push(
      problem(
        `${name}.files`,
        `${plural(broken.length, 'file')} not whole Parquet (${names(broken.map((f) => f.path), root)}): \`streamrec sql\` and analytics fail on ${broken.length === 1 ? 'it' : 'them'}`,
        `move ${broken.length === 1 ? 'it' : 'them'} out of ${root}, then rebuild the table: \`streamrec reset ${pipeline}\` and \`streamrec process ${pipeline}\``,
      ),
    );
  }
  const staleTemp = files.temp.filter((f) => ctx.now - f.mtimeMs >= IN_FLIGHT_MS);
  const pending = await pendingRenames(ctx, target.group, root);
  const committedTemp = staleTemp.filter((f) => pending.has(f.path));
  const leftTemp = staleTemp.filter((f) => !pending.has(f.path));
  if (committedTemp.length > 0) {
    findings.push(
      problem(
        `${name}.rename`,
        `${plural(committedTemp.length, 'committed file')} not yet renamed into place (${names(committedTemp.map((f) => f.path), root)}): their rows are committed but queries do not see them`,
        `${restart}: they finish the renames when they start`,
      ),
    );
  }
  if (leftTemp.length > 0) {
    findings.push(
      warn(
        `${name}.temp`,
        `${plural(leftTemp.length, 'temporary file')} of a flush that never committed (${names(leftTemp.map((f) => f.path), root)}): disk space only, queries ignore ${leftTemp.length === 1 ? 'it' : 'them'}`,
        `${restart}: they delete such files when they start`,
      ),
    );
  }
  if (findings.length === 0 && files.data.length === 0 && committed.size === 0) return []; // never written: nothing to say
  if (findings.length === 0) {
    const bytes = files.data.reduce((s, f) => s + f.bytes, 0);
    const offsets = [...committed].sort((a, b) => a[0] - b[0]).map(([p, o]) => `p${p} ${formatCount(o)}`).join(' · ');
    findings.push(ok(name, `${plural(files.data.length, 'file')} (${formatBytes(bytes)}), all below the committed offsets of ${target.group} (${offsets || 'none'})`));
  }
  return findings;
}

/**
 * The sink's list of committed files still to rename (state `lake-sink/<group>`: `{files: [[temp,
 * file], …]}`, relative to the table's root), as absolute temp paths; empty for a sink that keeps
 * no such list (it renames before it commits).
 */
async function pendingRenames(ctx: LogContext, group: string, root: string): Promise<Set<string>> {
  const raw = await ctx.log.getState(LAKE_RENAMES_NAMESPACE, group);
  if (raw === null) return new Set();
  try {
    const { files } = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')) as { files?: unknown };
    return new Set(Array.isArray(files) ? files.filter((f): f is [string, string] => Array.isArray(f) && typeof f[0] === 'string').map(([temp]) => join(root, temp)) : []);
  } catch {
    return new Set();
  }
}

function describePast(past: LakeDataFile[], committed: Map<number, number>, root: string): string {
  return past
    .slice(0, NAMED)
    .map((f) => `${relative(f.path, root)} starts at offset ${f.offset}, ${committed.has(f.partition) ? `committed ${committed.get(f.partition)}` : 'nothing committed'} for p${f.partition}`)
    .join('; ')
    .concat(past.length > NAMED ? `; and ${past.length - NAMED} more` : '');
}

function names(paths: string[], root: string): string {
  const shown = paths.slice(0, NAMED).map((p) => relative(p, root));
  return shown.join(', ') + (paths.length > NAMED ? ` and ${paths.length - NAMED} more` : '');
}

function relative(path: string, root: string): string {
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}
