// Imports a Spark MLlib ALS model directory into the registry, so a model trained with Spark can be
// served by streamrec. Spark's ALSModel.save writes:
//   metadata/part-00000   one JSON line: {"class":"org.apache.spark.ml.recommendation.ALSModel", …, "rank": 10}
//   userFactors/*.parquet (id INT, features ARRAY<FLOAT>)
//   itemFactors/*.parquet (id INT, features ARRAY<FLOAT>)
// The old Python stack kept that under `<version>/spark_model/`; both layouts are accepted.
// Spark's prediction is the plain dot product of the two factor vectors: no global mean, no biases.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBListVector, quotedString, type DuckDBConnection } from '@duckdb/node-api';
import { openMemoryDuckDB } from '../../lake/duckdb-common.js';
import { datasetsRoot, latestDataset, listDatasets, readManifest } from '../data/dataset.js';
import { checkDatasetName, datasetDir } from '../data/import.js';
import { AlsModel } from '../models/als/als.js';
import type { DatasetSummary, ModelMetadata, ModelRegistry } from './registry.js';
import { StreamrecError } from '../../util/errors.js';

const ALS_CLASS = 'org.apache.spark.ml.recommendation.ALSModel';

/** The source directory is not an importable Spark ALS model; the message names what is wrong. */
export class SparkImportError extends StreamrecError {
  override name = 'SparkImportError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'spark-import', cause: options.cause });
  }
}

export interface SparkImportOptions {
  /**
   * The imported dataset the Spark model was trained on: the server serves the model with its
   * catalogue and users' ratings. Default: the latest dataset imported into the registry's data
   * dir; either way it must exist.
   */
  datasetName?: string;
  /** The rating scale predictions are clamped to (default MovieLens: 0.5 to 5). */
  scale?: { min: number; max: number };
  /** Point `latest` at the imported version (default true). */
  setLatest?: boolean;
}

export interface SparkFactors {
  ids: Int32Array;
  /** ids.length × rank, row-major, in the order of `ids`. */
  factors: Float32Array;
  rank: number;
}

export interface SparkAlsModelFiles {
  /** The directory holding metadata/, userFactors/ and itemFactors/. */
  dir: string;
  /** The Spark metadata line, parsed. */
  metadata: { class: string; rank?: number; sparkVersion?: string; uid?: string; paramMap?: Record<string, unknown> };
  rank: number;
}

/** Reads a Spark ALS model directory and commits it as a new version of `als` with source 'spark'. */
export async function importSparkAls(sparkDir: string, registry: ModelRegistry, options: SparkImportOptions = {}): Promise<ModelMetadata> {
  const started = performance.now();
  const source = readSparkAlsMetadata(sparkDir);
  const { users, items } = await readSparkFactors(source);
  const datasetName = trainingDataset(registry.dataDir, options.datasetName);
  const paramMap = source.metadata.paramMap ?? {};
  const params: Record<string, unknown> = { source: 'spark', ...paramMap, rank: source.rank };
  if (source.metadata.sparkVersion !== undefined) params.sparkVersion = source.metadata.sparkVersion;
  const model = AlsModel.fromFactors({
    userIds: users.ids,
    movieIds: items.ids,
    userFactors: users.factors,
    movieFactors: items.factors,
    rank: source.rank,
    globalMean: 0,
    scale: options.scale ?? { min: 0.5, max: 5 },
    params,
  });
  const dataset: DatasetSummary = {
    name: datasetName,
    ratings: 0, // Spark's model does not record its training data
    users: users.ids.length,
    movies: items.ids.length,
  };
  const staged = registry.stage('als');
  try {
    model.save(staged.dir);
    return registry.commit(
      staged,
      {
        params,
        dataFingerprint: `spark:${sourceFingerprint(source.dir)}`,
        dataset,
        trainingSeconds: (performance.now() - started) / 1000,
        source: 'spark',
      },
      { setLatest: options.setLatest },
    );
  } catch (err) {
    rmSync(staged.dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The dataset a Spark model is served with: the one named (it must be imported), else the latest
 * imported. A model without its dataset could not be served (no catalogue, no users' ratings).
 */
export function trainingDataset(dataDir: string, name: string | undefined): string {
  const howTo = 'import the MovieLens data the Spark model was trained on first (streamrec dataset import <dir>)';
  if (name === undefined) {
    const latest = latestDataset(dataDir);
    if (latest === undefined) throw new SparkImportError(`no dataset in ${datasetsRoot(dataDir)}: ${howTo}; the server serves the model with that dataset's movies and users' ratings`);
    return latest.name;
  }
  try {
    checkDatasetName(name);
  } catch (err) {
    throw new SparkImportError((err as Error).message);
  }
  if (readManifest(datasetDir(dataDir, name)) === undefined) {
    const known = listDatasets(dataDir).map((d) => d.name);
    throw new SparkImportError(`--name ${name}: no dataset "${name}" in ${datasetsRoot(dataDir)} (${known.length > 0 ? `imported: ${known.join(', ')}` : 'none is imported'}); ${howTo}`);
  }
  return name;
}

/**
 * Finds the model directory (the given one, or its `spark_model/`), checks its parts and reads
 * the rank: Spark writes it at the top level of the metadata line; `paramMap.rank` is accepted too.
 */
export function readSparkAlsMetadata(sparkDir: string): SparkAlsModelFiles {
  const given = resolve(sparkDir);
  if (!existsSync(given) || !statSync(given).isDirectory()) throw new SparkImportError(`not a directory: ${sparkDir}`);
  const dir = !existsSync(join(given, 'metadata')) && existsSync(join(given, 'spark_model')) ? join(given, 'spark_model') : given;
  const missing = ['metadata', 'userFactors', 'itemFactors'].filter((p) => !existsSync(join(dir, p)));
  if (missing.length > 0) {
    throw new SparkImportError(`not a Spark ALS model directory: ${dir} has no ${missing.join(', ')} (expected metadata/, userFactors/ and itemFactors/ as ALSModel.save writes them)`);
  }
  const metaFile = join(dir, 'metadata', 'part-00000');
  if (!existsSync(metaFile)) throw new SparkImportError(`not a Spark ALS model directory: ${metaFile} is missing`);
  const line = readFileSync(metaFile, 'utf8').split('\n').find((l) => l.trim() !== '') ?? '';
  let metadata: SparkAlsModelFiles['metadata'];
  try {
    metadata = JSON.parse(line) as SparkAlsModelFiles['metadata'];
  } catch {
    throw new SparkImportError(`${metaFile}: not a JSON line`);
  }
  if (metadata === null || typeof metadata !== 'object' || metadata.class !== ALS_CLASS) {
    throw new SparkImportError(`${metaFile}: the model is a ${String((metadata as { class?: unknown } | null)?.class ?? 'unknown class')}, not ${ALS_CLASS}`);
  }
  const rank = metadata.rank ?? metadata.paramMap?.rank;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) throw new SparkImportError(`${metaFile}: no valid "rank" (got ${JSON.stringify(rank)})`);
  return { dir, metadata, rank };
}

/** Both factor tables, checked against the rank. */
export async function readSparkFactors(source: SparkAlsModelFiles): Promise<{ users: SparkFactors; items: SparkFactors }> {
  const { instance, connection } = await openMemoryDuckDB();
  try {
    const users = await readFactorTable(connection, join(source.dir, 'userFactors'), source.rank);
    const items = await readFactorTable(connection, join(source.dir, 'itemFactors'), source.rank);
    return { users, items };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function readFactorTable(connection: DuckDBConnection, dir: string, rank: number): Promise<SparkFactors> {
  if (!readdirSync(dir).some((f) => f.endsWith('.parquet') && !f.startsWith('.'))) throw new SparkImportError(`not a Spark ALS model directory: ${dir} has no .parquet files`);
  const from = `read_parquet(${quotedString(join(dir, '*.parquet'))})`;
  const columns = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson().map((r) => String(r.column_name));
  for (const c of ['id', 'features']) if (!columns.includes(c)) throw new SparkImportError(`${dir}: no "${c}" column (found ${columns.join(', ')})`);

  const stats = (
    await connection.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS ids, min(len(features))::BIGINT AS lo, max(len(features))::BIGINT AS hi,
              count(*) FILTER (WHERE id IS NULL OR features IS NULL OR list_count(features) <> len(features))::BIGINT AS nulls
         FROM ${from}`,
    )
  ).getRowObjectsJson()[0] as Record<string, unknown>;
  const n = Number(stats.n);
  if (n === 0) throw new SparkImportError(`${dir}: empty factors (no rows)`);
  if (Number(stats.nulls) > 0) throw new SparkImportError(`${dir}: ${Number(stats.nulls)} rows with a null id or null factor values`);
  if (Number(stats.ids) !== n) throw new SparkImportError(`${dir}: ${n - Number(stats.ids)} duplicate ids`);
  if (Number(stats.lo) !== rank || Number(stats.hi) !== rank) {
    throw new SparkImportError(`${dir}: factor lengths ${Number(stats.lo)}..${Number(stats.hi)} do not match the metadata's rank ${rank}`);
  }

  const ids = new Int32Array(n);
  const factors = new Float32Array(n * rank);
  const result = await connection.run(`SELECT CAST(id AS INTEGER) AS id, CAST(features AS FLOAT[]) AS features FROM ${from} ORDER BY id`);
  let row = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const idVector = chunk.getColumnVector(0);
    const list = chunk.getColumnVector(1) as DuckDBListVector;
    const values = list.childVector;
    for (let i = 0; i < chunk.rowCount; i++, row++) {
      ids[row] = idVector.getItem(i) as number;
      const offset = list.getEntryOffset(i);
      for (let j = 0; j < rank; j++) factors[row * rank + j] = values.getItem(offset + j) as number;
    }
  }
  if (row !== n) throw new SparkImportError(`${dir}: read ${row} rows, expected ${n}`);
  return { ids, factors, rank };
}

/** A SHA-256 over the metadata line and every factor file (names and bytes): the same export, the same fingerprint. */
function sourceFingerprint(dir: string): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(dir, 'metadata', 'part-00000')));
  for (const part of ['userFactors', 'itemFactors']) {
    for (const f of readdirSync(join(dir, part)).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).sort()) {
      hash.update(`${part}/${f}\n`);
      hash.update(readFileSync(join(dir, part, f)));
    }
  }
  return hash.digest('hex').slice(0, 32);
}
