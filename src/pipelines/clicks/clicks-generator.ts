import { runPaced } from '../paced-producer.js';
import type { PipelineGenerator } from '../pipeline-declaration.js';
import { Random } from '../../util/random.js';
import { CLICKS_TOPIC, clickCodec, type Click } from './click-event.js';

/** `streamrec generate clicks`: cheers and hate, appended through the log like the page's clicks. */
export const clicksGenerator: PipelineGenerator = {
  description: 'cheers and hate clicks, stamped as they are sent (what the clicker page posts)',
  noun: 'clicks',
  examples: [
    'streamrec generate clicks --rate 20                  20 clicks/s until Ctrl-C',
    'streamrec generate clicks --rate 100 --duration 1m --hate-share 0.4',
    'streamrec generate clicks --rate max --count 100000',
  ],
  options: (command, parse) => command.option('--hate-share <f>', 'share of hate clicks (0..1)', parse.fraction, 0.25),
  async run(flags, paced, ctx) {
    const random = new Random(paced.seed);
    const hateShare = flags.hateShare as number;
    await ctx.log.ensureTopic(CLICKS_TOPIC, { partitions: 1 });
    ctx.onStart?.(`${Math.round(hateShare * 100)}% hate`);
    return runPaced({
      producer: ctx.log.producer(),
      topic: CLICKS_TOPIC,
      next: (t) => {
        const click: Click = { type: random.next() < hateShare ? 'hate' : 'cheers', ts: Math.round(t) };
        return { value: clickCodec.encode(click), timestamp: click.ts };
      },
      rate: paced.rate,
      count: paced.count,
      durationMs: paced.durationMs,
      backfill: paced.backfill,
      batchSize: Number.isFinite(paced.rate) && !paced.backfill ? 500 : 5000,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
      onDiskProblem: ctx.onDiskProblem,
    });
  },
};
