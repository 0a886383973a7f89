import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { PipelineSpec } from '../engine/pipeline.js';
import { openLakeQuery, type LakeQuery } from '../lake/lake-query.js';
import type { LakeTable } from '../lake/lake-table.js';
import { UserError } from '../util/errors.js';
import { startLakeWriters, type LakeWriters } from './lake-writers.js';
import type { PipelineContext, PipelineDeclaration } from './pipeline-declaration.js';
import type { ResultEnvelope } from './pipeline-result.js';
import { clicksDeclaration } from './clicks/clicks-declaration.js';
import { commerceDeclaration } from './commerce/commerce-declaration.js';
import { ratingsDeclaration } from './ratings/ratings-declaration.js';

export type { LakeWriters, PipelineContext };

/** A declaration of any result type (the registry holds them side by side). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPipelineDeclaration = PipelineDeclaration<any>;

const declarations = new Map<string, AnyPipelineDeclaration>();

/**
 * Adds a pipeline: the CLI, the server and the lake views pick it up from here. Names, topics
 * and lake views must not collide with those already registered.
 */
export function registerPipeline<R extends ResultEnvelope>(declaration: PipelineDeclaration<R>): void {
  const { name } = declaration;
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`pipeline name ${JSON.stringify(name)}: lowercase letters, digits and dashes`);
  if (declarations.has(name)) throw new Error(`pipeline ${name} is already registered`);
  for (const other of declarations.values()) {
    if (other.outputTopic === declaration.outputTopic) throw new Error(`pipeline ${name}: output topic ${declaration.outputTopic} is ${other.name}'s`);
    for (const view of Object.keys(declaration.lake?.views ?? {})) {
      if (other.lake?.views[view]) throw new Error(`pipeline ${name}: lake view ${view} is ${other.name}'s`);
    }
  }
  declarations.set(name, declaration as AnyPipelineDeclaration);
}

/** Every registered pipeline, in registration order. */
export function pipelineDeclarations(): AnyPipelineDeclaration[] {
  return [...declarations.values()];
}

export function pipelineNames(): string[] {
  return [...declarations.keys()];
}

/** The named pipeline's declaration; a user error naming the known ones otherwise. */
export function pipelineDeclaration(name: string): AnyPipelineDeclaration {
  const declaration = declarations.get(name);
  if (!declaration) throw new UserError(`unknown pipeline: ${name} (pipelines: ${pipelineNames().join(', ')})`);
  return declaration;
}

export interface OpenedPipeline {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec: PipelineSpec<any, any, any, any>;
  /** Starts the pipeline's lake sinks (none without lake tables). */
  startLake(signal: AbortSignal): LakeWriters;
}

export async function openPipeline(name: string, ctx: PipelineContext): Promise<OpenedPipeline> {
  const declaration = pipelineDeclaration(name);
  const spec = await declaration.open(ctx);
  return { spec, startLake: (signal) => startLakeWriters(declaration.lake?.sinks(ctx) ?? [], signal) };
}

/** The lake views of every registered pipeline, by view name. */
export function lakeViews(): Record<string, LakeTable<never>> {
  return Object.assign({}, ...pipelineDeclarations().map((d) => d.lake?.views ?? {})) as Record<string, LakeTable<never>>;
}

/** A DuckDB over the lake with every registered pipeline's views (what `streamrec sql` queries). */
export function openPipelinesLake(dataDir: string, views: Record<string, LakeTable<never>> = lakeViews()): Promise<LakeQuery> {
  return openLakeQuery(dataDir, views);
}

/**
 * Env STREAMREC_PIPELINES_MODULE: comma-separated module paths whose default export is a
 * declaration or a list of them, registered after the built-in ones — how a pipeline declared
 * outside src/ reaches the CLI and its worker threads. Such a module must not import this one
 * (it is still loading).
 */
async function registerFromEnv(): Promise<void> {
  const modules = (process.env.STREAMREC_PIPELINES_MODULE ?? '').split(',').map((m) => m.trim()).filter((m) => m.length > 0);
  for (const m of modules) {
    const loaded = (await import(pathToFileURL(resolve(m)).href)) as { default?: AnyPipelineDeclaration | AnyPipelineDeclaration[] };
    if (!loaded.default) throw new UserError(`STREAMREC_PIPELINES_MODULE ${m}: no default export (a pipeline declaration or a list of them)`);
    for (const d of [loaded.default].flat()) registerPipeline(d);
  }
}

registerPipeline(ratingsDeclaration);
registerPipeline(clicksDeclaration);
registerPipeline(commerceDeclaration);
await registerFromEnv();
