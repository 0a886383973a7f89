// Writes a directory laid out as Spark's ALSModel.save writes it (metadata/part-00000, Parquet
// factor tables named like Spark's part files, _SUCCESS and .crc side files), with DuckDB.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quotedString } from '@duckdb/node-api';
import { openMemoryDuckDB } from '../../../src/lake/duckdb-common.js';

export interface SparkFixture {
  rank: number;
  /** id → factors */
  users: Map<number, number[]>;
  items: Map<number, number[]>;
}

/** A rank-2 model with 3 users and 4 movies whose dot products all lie inside 0.5–5. */
export function smallFixture(): SparkFixture {
  return {
    rank: 2,
    users: new Map([
      [1, [1.5, 0.25]],
      [7, [0.5, 1.75]],
      [42, [1, 1]],
    ]),
    items: new Map([
      [10, [2, 0.5]],
      [20, [0.75, 2]],
      [30, [1.25, 1.25]],
      [400, [0.5, 0.5]],
    ]),
  };
}

export async function writeSparkAlsDir(
  dir: string,
  fixture: SparkFixture,
  options: { metadataRank?: number; emptyItems?: boolean; className?: string; rankInParamMap?: boolean } = {},
): Promise<void> {
  const rank = options.metadataRank ?? fixture.rank;
  const meta: Record<string, unknown> = {
    class: options.className ?? 'org.apache.spark.ml.recommendation.ALSModel',
    timestamp: 1733671523000,
    sparkVersion: '3.4.1',
    uid: 'ALS_5f2ad1b6c3e9',
    paramMap: { userCol: 'userId', itemCol: 'movieId', predictionCol: 'prediction', coldStartStrategy: 'drop' },
    defaultParamMap: { blockSize: 4096, coldStartStrategy: 'nan', predictionCol: 'prediction', userCol: 'user', itemCol: 'item' },
  };
  if (options.rankInParamMap) (meta.paramMap as Record<string, unknown>).rank = rank;
  else meta.rank = rank;
  mkdirSync(join(dir, 'metadata'), { recursive: true });
  writeFileSync(join(dir, 'metadata', 'part-00000'), `${JSON.stringify(meta)}\n`);
  writeFileSync(join(dir, 'metadata', '_SUCCESS'), '');
  const { instance, connection } = await openMemoryDuckDB();
  try {
    for (const [part, rows] of [
      ['userFactors', fixture.users],
      ['itemFactors', options.emptyItems ? new Map<number, number[]>() : fixture.items],
    ] as const) {
      mkdirSync(join(dir, part), { recursive: true });
      writeFileSync(join(dir, part, '_SUCCESS'), '');
      // Spark writes one part file per partition: split the rows over two files.
      const entries = [...rows];
      const halves = entries.length === 0 ? [entries] : [entries.slice(0, Math.ceil(entries.length / 2)), entries.slice(Math.ceil(entries.length / 2))];
      for (const [i, half] of halves.entries()) {
        if (half.length === 0 && entries.length > 0) continue;
        const values =
          half.length === 0
            ? 'SELECT CAST(NULL AS INTEGER) AS id, CAST(NULL AS FLOAT[]) AS features WHERE false'
            : `SELECT * FROM (VALUES ${half.map(([id, f]) => `(${id}::INTEGER, [${f.join(', ')}]::FLOAT[])`).join(', ')}) t(id, features)`;
        const name = `part-0000${i}-8c2f3a51-4b7e-4d8e-9f61-2a7c0d5e1b93-c000.snappy.parquet`;
        await connection.run(`COPY (${values}) TO ${quotedString(join(dir, part, name))} (FORMAT parquet, COMPRESSION snappy)`);
        writeFileSync(join(dir, part, `.${name}.crc`), 'crc');
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * A dataset as `dataset import` registers it, reduced to its manifest (what the Spark import
 * checks: the name exists; the latest is the one imported last).
 */
export function writeImportedDataset(dataDir: string, name: string, importedAt: string): void {
  const dir = join(dataDir, 'datasets', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ name, layout: 'ratings.csv', ratings: 0, users: 0, movies: 0, importedAt }));
}
