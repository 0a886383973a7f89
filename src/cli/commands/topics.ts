import { Command } from 'commander';
import { formatTable } from '../../util/table.js';
import { addDataDirOption, openDataDirLog } from '../context.js';

export function topicsCommand(): Command {
  const command = new Command('topics')
    .description('list topics (partitions, offsets, size) and consumer groups with their lag')
    .option('--json', 'print JSON instead of tables')
    .addHelpText('after', '\nExamples:\n  streamrec topics\n  streamrec topics --json --data-dir /srv/streamrec')
    .action(async (flags: { dataDir?: string; json?: boolean }) => {
      const { log } = openDataDirLog(flags);
      try {
        const topics = await log.topics();
        const groups = await log.groups();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ log: log.description, topics, groups }, null, 2)}\n`);
          return;
        }
        if (topics.length === 0) {
          process.stdout.write(`no topics yet in ${log.description} (start a generator: streamrec generate ratings)\n`);
          return;
        }
        const topicRows = topics.map((t) => [
          t.name,
          t.partitions.length,
          t.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0),
          t.partitions.map((p) => p.endOffset).join(','),
          t.partitions.reduce((s, p) => s + p.bytes, 0),
          retentionText(t.retention.maxAgeMs, t.retention.maxBytes),
        ]);
        process.stdout.write(`${formatTable(['topic', 'partitions', 'records', 'end offsets', 'bytes', 'retention'], topicRows)}\n`);
        if (groups.length > 0) {
          const byGroupTopic = new Map<string, { group: string; topic: string; committed: number; end: number; lag: number }>();
          for (const g of groups) {
            const k = `${g.group}\u0000${g.topic}`;
            const row = byGroupTopic.get(k) ?? { group: g.group, topic: g.topic, committed: 0, end: 0, lag: 0 };
            row.committed += g.committed ?? 0;
            row.end += g.endOffset;
            row.lag += g.lag;
            byGroupTopic.set(k, row);
          }
          const rows = [...byGroupTopic.values()].map((r) => [r.group, r.topic, r.committed, r.end, r.lag]);
          process.stdout.write(`\n${formatTable(['group', 'topic', 'committed', 'end', 'lag'], rows)}\n`);
        }
      } finally {
        await log.close();
      }
    });
  return addDataDirOption(command);
}

function retentionText(maxAgeMs: number | null, maxBytes: number | null): string {
  const parts: string[] = [];
  if (maxAgeMs !== null) parts.push(`${Math.round(maxAgeMs / 3_600_000)}h`);
  if (maxBytes !== null) parts.push(`${Math.round(maxBytes / 1_048_576)}MiB`);
  return parts.length > 0 ? parts.join(' / ') : 'forever';
}
