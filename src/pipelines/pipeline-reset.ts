/**
 * `streamrec reset <pipeline>`: everything a pipeline derived goes, so its next run reprocesses
 * the source from the earliest offset and every result exists once — in its output topics, in the
 * views that total them (e.g. clicks: `clicks.bins` + `clicks.late`) and in the lake tables its
 * sinks fill from them. The source topic and the lake tables copied from it stay: reprocessing does
 * not change them, and a rewritten copy could only lose what retention already took from the source.
 */
import { pipelineGroup, resetPipeline } from '../engine/pipeline-runner.js';
import { lateTopic } from '../engine/pipeline.js';
import { deadLetterTopic } from '../events/dead-letter.js';
import { rewindLakeSink, type LakeRewind, type LakeSinkTarget } from '../lake/lake-reset.js';
import type { EventLog } from '../log/types.js';
import type { PipelineDeclaration } from './pipeline-declaration.js';

export interface ResetReport {
  pipeline: string;
  /** Whether a checkpoint was dropped. */
  hadCheckpoint: boolean;
  /** The pipeline's own topics, emptied, with the records each held. */
  clearedTopics: { topic: string; records: number }[];
  /** Lake tables emptied (their sinks write them again from the next run's results). */
  emptiedTables: LakeRewind[];
  /** Lake tables over the pipeline's outputs left as they are (`keepLake`). */
  keptDerivedTables: string[];
  /** Lake tables copied from the source, left as they are. */
  keptSourceTables: string[];
}

/** The topics a pipeline run writes: its results, its late events, its dead letters. */
export function pipelineOutputTopics(declaration: Pick<PipelineDeclaration, 'sourceTopic' | 'outputTopic'>): string[] {
  return [declaration.outputTopic, lateTopic({ source: { topic: declaration.sourceTopic } }), deadLetterTopic(declaration.sourceTopic)];
}

/**
 * Drops the checkpoint, empties the pipeline's output topics and (unless `keepLake`) the lake
 * tables filled from them. Each step can be repeated: a reset that stopped partway is finished by
 * running it again.
 */
export async function resetPipelineData(
  declaration: Pick<PipelineDeclaration, 'name' | 'sourceTopic' | 'outputTopic' | 'lake'>,
  options: { log: EventLog; dataDir: string; keepLake?: boolean },
): Promise<ResetReport> {
  const { log, dataDir } = options;
  const outputs = pipelineOutputTopics(declaration);
  const targets = (declaration.lake?.sinks({ log, dataDir }) ?? []).map((s) => s.target).filter((t): t is LakeSinkTarget => t !== undefined);
  const derived = targets.filter((t) => outputs.includes(t.topic));
  const report: ResetReport = {
    pipeline: declaration.name,
    hadCheckpoint: false,
    clearedTopics: [],
    emptiedTables: [],
    keptDerivedTables: options.keepLake ? derived.map((t) => t.table) : [],
    keptSourceTables: targets.filter((t) => !outputs.includes(t.topic)).map((t) => t.table),
  };
  // The sinks first: emptied while their topics still hold the old results, they would at worst
  // write those again (and the next reset removes them); the other order could leave a sink past
  // results that were never written to its table.
  if (!options.keepLake) for (const target of derived) report.emptiedTables.push(await rewindLakeSink(log, dataDir, target));
  for (const topic of outputs) {
    if (!(await log.topic(topic))) continue;
    report.clearedTopics.push({ topic, records: await log.deleteRecords(topic) });
  }
  report.hadCheckpoint = await resetPipeline(log, declaration.name);
  return report;
}

/** The lines `streamrec reset` prints. */
export function resetReportLines(r: ResetReport): string[] {
  const lines = [
    r.hadCheckpoint
      ? `reset ${r.pipeline}: its next run starts at the earliest offset (checkpoint and group ${pipelineGroup(r.pipeline)} dropped)`
      : `reset ${r.pipeline}: it had no checkpoint; its next run starts at the earliest offset`,
  ];
  if (r.clearedTopics.length > 0) {
    lines.push(`  emptied its topics: ${r.clearedTopics.map((t) => `${t.topic} (${records(t.records)})`).join(', ')}; the next run writes every result again, once`);
  }
  for (const t of r.emptiedTables.filter((e) => e.files > 0)) lines.push(`  emptied lake table ${t.table} (${t.files} files): its sink writes it again from the next run's results`);
  for (const t of r.keptDerivedTables) {
    lines.push(`  kept lake table ${t} (--keep-lake): the next run's results are added to it, so it will hold each window twice; run reset without --keep-lake to empty it`);
  }
  for (const t of r.keptSourceTables) lines.push(`  kept lake table ${t}: a copy of the source topic, which reprocessing does not change`);
  return lines;
}

function records(n: number): string {
  return `${n.toLocaleString('en-US')} record${n === 1 ? '' : 's'}`;
}
