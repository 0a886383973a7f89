import { Command } from 'commander';
import { resolveDataDir } from '../../util/config.js';
import type { LakeQueryResult } from '../../lake/lake-query.js';
import type { LakeTable } from '../../lake/lake-table.js';
import { lakeViews, openPipelinesLake } from '../../pipelines/registry.js';
import { formatTable } from '../../util/table.js';
import { addDataDirOption } from '../context.js';
import { UserError } from '../../util/errors.js';

interface SqlFlags {
  dataDir?: string;
  json?: boolean;
}

/** `write` receives the output (stdout unless a test captures it). */
export function sqlCommand(write: (text: string) => void = (text) => void process.stdout.write(text)): Command {
  const command = new Command('sql')
    .description(`query the Parquet lake with DuckDB SQL (views ${Object.keys(lakeViews()).join(', ')})`)
    .argument('<query>', 'SQL to run; with several statements, the last one’s rows are printed')
    .option('--json', 'print one JSON object per row instead of a table')
    .addHelpText(
      'after',
      [
        '',
        'Views:',
        ...viewHelp(lakeViews()),
        '',
        'Examples:',
        '  streamrec sql "SELECT date, hour, count(*) FROM ratings_raw GROUP BY ALL ORDER BY ALL"',
        '  streamrec sql "SELECT movieId, count(*) AS n, avg(rating) FROM ratings_raw GROUP BY movieId ORDER BY n DESC LIMIT 10"',
        "  streamrec sql \"SELECT window_start, count, avg_rating FROM ratings_agg WHERE window_type = 'tumbling_1min' ORDER BY window_start\" --json",
      ].join('\n'),
    )
    .action(async (query: string, flags: SqlFlags) => {
      const lake = await openPipelinesLake(resolveDataDir(flags.dataDir));
      let result: LakeQueryResult;
      try {
        result = await lake.run(query);
      } catch (err) {
        throw new UserError(`sql: ${sqlErrorLine(err)}`);
      } finally {
        lake.close();
      }
      write(formatSqlResult(result, flags.json === true));
    });
  return addDataDirOption(command);
}

/** One line a view: its columns, partition keys last (as the view lists them). */
function viewHelp(views: Record<string, LakeTable<never>>): string[] {
  const width = Math.max(0, ...Object.keys(views).map((v) => v.length));
  return Object.entries(views).map(([name, t]) => `  ${name.padEnd(width)}  ${[...t.columns, ...t.partitionBy].map((c) => c.name).join(', ')}`);
}

/** A query's result as JSON lines (one object per row) or as a table with a row count. */
export function formatSqlResult(result: LakeQueryResult, json: boolean): string {
  if (json) return result.rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const cells = result.rows.map((r) => result.columns.map((c) => cellText(r[c])));
  const n = result.rows.length;
  return `${formatTable(result.columns, cells)}\n(${n} ${n === 1 ? 'row' : 'rows'})\n`;
}

function cellText(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** DuckDB's message without the multi-line caret excerpt of the query. */
function sqlErrorLine(err: unknown): string {
  // The node API prefixes parse errors with its own step.
  const message = (err instanceof Error ? err.message : String(err)).replace(/^Failed to extract statements: /, '');
  const lines: string[] = [];
  for (const line of message.split('\n')) {
    if (/^LINE \d+:/.test(line)) break;
    if (line.trim() !== '') lines.push(line.trim());
  }
  return lines.join(' ') || 'query failed';
}
