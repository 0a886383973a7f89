// iALS's entry for the table of model kinds (model-kinds.ts): a servable ranking model and a
// hybrid component whose score is a preference, not a rating. Its flags are prefixed (`--ials-…`)
// where ALS has a flag of the same name, so each factorisation keeps its own rank and λ; `--seed`
// is shared, one seed for the run.
import type { ModelKind } from '../model-kind.js';
import { oneOf, positiveInt, positiveNumber } from '../../../util/text-parsers.js';
import { IalsModel } from './ials.js';
import { DEFAULT_IALS_PARAMS, type IalsParams } from './ials-params.js';
import { trainIals } from './ials-train.js';

/** Progress units of one half iteration. */
const PHASE = 1000;

export const ials: ModelKind<IalsParams, true> = {
  servable: true,
  preference: 3,
  hybridComponent: true,
  blends: false,
  scoreIsRating: false,
  // Its predict is the damped baseline, not a rating model: the rating blend leaves it out.
  predictsRatings: false,
  aliases: ['implicitals', 'wals'],
  defaults: DEFAULT_IALS_PARAMS,
  options: [
    { flag: '--ials-rank <n>', key: 'rank', describe: (d) => `iALS latent factors (default ${d.rank})`, parse: positiveInt },
    { flag: '--ials-iterations <n>', key: 'iterations', describe: (d) => `iALS iterations (default ${d.iterations})`, parse: positiveInt },
    { flag: '--ials-alpha <x>', key: 'alpha', describe: (d) => `iALS confidence scale α: a rating r gives confidence 1 + α·r, or 1 + α·log(1 + r/ε) (default ${d.alpha})`, parse: positiveNumber },
    { flag: '--ials-lambda <x>', key: 'lambda', describe: (d) => `iALS regularisation λ (default ${d.lambda})`, parse: positiveNumber },
    { flag: '--ials-cg-steps <n>', key: 'cgSteps', describe: (d) => `iALS conjugate-gradient steps per row and half iteration (default ${d.cgSteps})`, parse: positiveInt },
    { flag: '--ials-confidence <kind>', key: 'confidence', describe: (d) => `iALS confidence: linear or log (default ${d.confidence})`, parse: oneOf(['linear', 'log'] as const) },
    { flag: '--ials-epsilon <x>', key: 'epsilon', describe: (d) => `iALS ε of the log confidence (default ${d.epsilon})`, parse: positiveNumber },
    { flag: '--seed <n>', key: 'seed', describe: (d) => `random seed for initialisation and splits (default ${d.seed})`, parse: positiveInt },
  ],
  fit: async ({ matrix, params, hooks }) => {
    const started = performance.now();
    const model = await trainIals(matrix(), params, {
      threads: hooks.threads,
      signal: hooks.signal,
      // Each half iteration counts PHASE units, whatever its row count.
      onProgress: (p) => {
        const before = (p.iteration - 1) * 2 + (p.phase === 'users' ? 0 : 1);
        hooks.onProgress?.('ials', `iteration ${p.iteration}/${p.iterations} ${p.phase}`, before * PHASE + Math.round((PHASE * p.done) / Math.max(1, p.total)), p.iterations * 2 * PHASE);
      },
    });
    return { model, training: { seconds: (performance.now() - started) / 1000 } };
  },
  load: ({ dir }) => IalsModel.load(dir),
};
