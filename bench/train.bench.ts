/**
 * `npm run bench -- train`: the recommender training path at MovieLens-20M size (138,493 users,
 * 26,744 movies, 20,000,263 ratings; BENCH_RATINGS shrinks it). A synthetic MovieLens-layout
 * dataset is written first by `streamrec dataset synth` in a child process (not timed, and its
 * memory is not in the peak RSS); then, timed in this process: the import (beside a bare read of
 * the same ratings.csv), ALS rank 20 × 10 iterations on every rating (beside a bare pass that
 * predicts every rating once with the trained factors), iALS rank 64 × 10 iterations (beside a
 * bare pass of one rank-64 dot product per rating), item-CF, the RP3beta item graph (beside a bare
 * pass reading every rating once), and the evaluation of models trained on a random 80 % split.
 * Goals on 2 cores: ALS under 30 s, iALS and the item graph at most 60 s each (benfred/implicit
 * 0.7.3, C++/OpenMP, took with 2 threads on this shape: 5.84 s per iteration, 58.4 s, 474 MiB),
 * a peak RSS under 4 GB.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/recommend/data/dataset.js';
import { importMovieLens } from '../src/recommend/data/import.js';
import { buildInteractions, type Interactions } from '../src/recommend/data/interactions.js';
import { evaluateModels } from '../src/recommend/evaluate/evaluate.js';
import { randomSplit } from '../src/recommend/evaluate/splits.js';
import { trainAls } from '../src/recommend/models/als/als-train.js';
import type { AlsModel } from '../src/recommend/models/als/als.js';
import { DEFAULT_IALS_PARAMS } from '../src/recommend/models/ials/ials-params.js';
import { trainIals } from '../src/recommend/models/ials/ials-train.js';
import { trainItemCf } from '../src/recommend/models/item-cf/item-cf.js';
import { trainItemGraph } from '../src/recommend/models/item-graph/item-graph-train.js';
import { PopularityModel } from '../src/recommend/models/popularity/popularity.js';
import { DEFAULT_TRAIN_PARAMS } from '../src/recommend/train/fit-models.js';
import { tempDir } from '../test/helpers/tmp.js';
import { peakRssMb, printFigures, say, seconds, type Figure } from './report.js';
import { Random } from '../src/util/random.js';

const RATINGS = Number(process.env.BENCH_RATINGS ?? 20_000_263);
const SCALE = RATINGS / 20_000_263;
const USERS = Math.max(100, Math.round(138_493 * SCALE));
const MOVIES = Math.max(50, Math.round(26_744 * Math.sqrt(SCALE)));

export async function run(): Promise<void> {
  const { dir, cleanup } = tempDir('streamrec-bench-train-');
  try {
    const source = join(dir, 'synth');
    const dataDir = join(dir, 'data');
    say(`writing a synthetic MovieLens dataset: ${USERS} users, ${MOVIES} movies, ${RATINGS} ratings, rank 20 (not timed) …`);
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    execFileSync(process.execPath, [cli, 'dataset', 'synth', source, '--users', `${USERS}`, '--movies', `${MOVIES}`, '--ratings', `${RATINGS}`, '--rank', '20', '--noise', '0.5', '--seed', '1', '--no-import'], { stdio: ['ignore', 'ignore', 'inherit'] });

    const figures: Figure[] = [];
    let t = process.hrtime.bigint();
    const bareRead = await bareLineCount(join(source, 'ratings.csv'));
    const bareSeconds = seconds(t);
    t = process.hrtime.bigint();
    const imported = await importMovieLens(source, dataDir, { name: 'synth' });
    const importSeconds = seconds(t);
    say(`import: ${imported.ratings} ratings in ${importSeconds.toFixed(2)} s (a bare read of ratings.csv counting ${bareRead} lines: ${bareSeconds.toFixed(2)} s)`);
    figures.push({ name: 'import_seconds', value: importSeconds, unit: 's', baseline: bareSeconds, ratio: importSeconds / bareSeconds });

    t = process.hrtime.bigint();
    const dataset = await loadDataset(join(dataDir, 'datasets', 'synth'));
    const data = buildInteractions(dataset.ratings.columns);
    const loadSeconds = seconds(t);
    say(`load + matrix (both CSR sides): ${loadSeconds.toFixed(2)} s`);
    figures.push({ name: 'load_seconds', value: loadSeconds, unit: 's' });

    const params = DEFAULT_TRAIN_PARAMS;
    const iterationEnds: number[] = [];
    t = process.hrtime.bigint();
    const als = await trainAls(data, params.als, {
      onProgress: (p) => {
        if (p.phase === 'movies' && p.done === p.total && iterationEnds.length < p.iteration) iterationEnds.push(seconds(t));
      },
    });
    const alsSeconds = seconds(t);
    const bare = barePredictionPass(data, als);
    const perIteration = alsSeconds / params.als.iterations;
    say(`ALS rank ${params.als.rank} × ${params.als.iterations} iterations: ${alsSeconds.toFixed(1)} s (${perIteration.toFixed(2)} s per iteration; a bare pass predicting every rating once: ${bare.seconds.toFixed(2)} s, train RMSE ${bare.rmse.toFixed(4)}); goal < 30 s`);
    if (iterationEnds.length > 0) say(`  iteration ends at: ${iterationEnds.map((s) => s.toFixed(1)).join(', ')} s`);
    figures.push({ name: 'als_seconds_total', value: alsSeconds, unit: 's' });
    figures.push({ name: 'als_seconds_per_iteration', value: perIteration, unit: 's', baseline: bare.seconds, ratio: perIteration / bare.seconds });

    // iALS at its defaults (rank 64, 10 iterations, 3 conjugate-gradient steps a row).
    const ialsParams = DEFAULT_IALS_PARAMS;
    const ialsEnds: number[] = [];
    t = process.hrtime.bigint();
    await trainIals(data, ialsParams, {
      onProgress: (p) => {
        if (p.phase === 'movies' && p.done === p.total && ialsEnds.length < p.iteration) ialsEnds.push(seconds(t));
      },
    });
    const ialsSeconds = seconds(t);
    const ialsPerIteration = ialsSeconds / ialsParams.iterations;
    const bareDots = bareDotPass(data, ialsParams.rank);
    const ialsRss = peakRssMb();
    say(`iALS rank ${ialsParams.rank} × ${ialsParams.iterations} iterations (${ialsParams.cgSteps} CG steps): ${ialsSeconds.toFixed(1)} s (${ialsPerIteration.toFixed(2)} s per iteration; a bare single-threaded pass of one rank-${ialsParams.rank} dot product per rating: ${bareDots.toFixed(2)} s); peak RSS so far ${ialsRss} MB; goal ≤ 60 s (benfred/implicit 0.7.3 with 2 threads: 58.4 s, 474 MiB)`);
    if (ialsEnds.length > 0) say(`  iteration ends at: ${ialsEnds.map((s) => s.toFixed(1)).join(', ')} s`);
    figures.push({ name: 'ials_seconds_total', value: ialsSeconds, unit: 's', baseline: 58.4, ratio: ialsSeconds / 58.4 });
    figures.push({ name: 'ials_seconds_per_iteration', value: ialsPerIteration, unit: 's', baseline: bareDots, ratio: ialsPerIteration / bareDots });
    figures.push({ name: 'peak_rss_after_factorisations', value: ialsRss, unit: 'MB' });

    t = process.hrtime.bigint();
    await trainItemCf(data, params.itemcf);
    const itemCfSeconds = seconds(t);
    say(`item-CF (${params.itemcf.similarity}, ≥ ${params.itemcf.minCommonUsers} common users, top ${params.itemcf.neighbours}): ${itemCfSeconds.toFixed(1)} s`);
    figures.push({ name: 'itemcf_seconds', value: itemCfSeconds, unit: 's' });

    // The item graph: one random walk per movie over who rated what, every row pruned to its top k.
    t = process.hrtime.bigint();
    await trainItemGraph(data, params.rp3beta);
    const graphSeconds = seconds(t);
    const bareGraph = bareRatingPass(data);
    say(`RP3beta item graph (α ${params.rp3beta.alpha}, β ${params.rp3beta.beta}, top ${params.rp3beta.neighbours}): ${graphSeconds.toFixed(1)} s (a bare pass reading every rating once: ${bareGraph.toFixed(3)} s); goal ≤ 60 s`);
    figures.push({ name: 'item_graph_seconds', value: graphSeconds, unit: 's', baseline: bareGraph, ratio: graphSeconds / bareGraph });

    // Evaluation: ALS and the popularity baseline trained on a random 80 %, scored on the other 20 %.
    const columns = dataset.ratings.columns;
    const split = randomSplit(columns, { testFraction: 0.2, seed: 42 });
    const train = buildInteractions(columns, split.train);
    t = process.hrtime.bigint();
    const alsTrain = await trainAls(train, params.als);
    say(`ALS on the 80 % split: ${seconds(t).toFixed(1)} s (not in the evaluation time)`);
    const popularity = PopularityModel.train(train, dataset.catalogue);
    t = process.hrtime.bigint();
    const results = evaluateModels({ columns, split, models: [alsTrain, popularity], k: 10, maxUsers: 5000, seed: 42, train });
    const evalSeconds = seconds(t);
    for (const r of results) {
      say(`  ${r.model}: RMSE ${r.rating.rmse.toFixed(4)}  MAE ${r.rating.mae.toFixed(4)}  P@10 ${r.ranking.precision.toFixed(4)}  NDCG@10 ${r.ranking.ndcg.toFixed(4)}`);
    }
    say(`evaluation (${split.test.length} test ratings predicted, top-10 for 5,000 users, 2 models): ${evalSeconds.toFixed(1)} s`);
    figures.push({ name: 'evaluation_seconds', value: evalSeconds, unit: 's' });
    const floor = (JSON.parse(readFileSync(join(source, 'synth.json'), 'utf8')) as { noiseFloorRmse: number }).noiseFloorRmse;
    const alsRmse = results.find((r) => r.model === 'als')?.rating.rmse ?? NaN;
    say(`ALS held-out RMSE ${alsRmse.toFixed(4)} against the generator's noise floor ${floor.toFixed(4)}: ${(alsRmse / floor).toFixed(3)} × the floor`);
    figures.push({ name: 'als_heldout_rmse', value: alsRmse, unit: 'rmse', baseline: floor, ratio: alsRmse / floor });
    printFigures('train', figures);
  } finally {
    cleanup();
  }
}

/** Reads the file and counts lines: the least any import must do. */
async function bareLineCount(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let at = chunk.indexOf(10);
    while (at !== -1) {
      lines++;
      at = chunk.indexOf(10, at + 1);
    }
  }
  return lines;
}

/** Reads every rating's movie once, by user: the least any model fitted on the matrix must do. */
function bareRatingPass(data: Interactions): number {
  const t = process.hrtime.bigint();
  let sum = 0;
  for (let k = 0; k < data.userItems.length; k++) sum += data.userItems[k];
  if (sum < 0) say('impossible');
  return seconds(t);
}

/** One single-threaded pass predicting every training rating: the floor under an ALS iteration. */
function barePredictionPass(data: Interactions, model: AlsModel): { seconds: number; rmse: number } {
  const t = process.hrtime.bigint();
  let sse = 0;
  for (let u = 0; u < data.users.size; u++) {
    const userId = data.users.ids[u];
    const history = { userId, movies: new Int32Array(0), ratings: new Float32Array(0) };
    for (let k = data.userPtr[u]; k < data.userPtr[u + 1]; k++) {
      const e = data.userRatings[k] - model.predict(history, data.movies.ids[data.userItems[k]]);
      sse += e * e;
    }
  }
  return { seconds: seconds(t), rmse: Math.sqrt(sse / Math.max(1, data.count)) };
}

/**
 * One single-threaded pass of a rank-k dot product per rating (user row · movie row, factors
 * row-major): the floor under an iALS iteration, which makes eight such passes (four per side).
 */
function bareDotPass(data: Interactions, rank: number): number {
  const random = new Random(1);
  const users = Float32Array.from({ length: data.users.size * rank }, () => random.next());
  const movies = Float32Array.from({ length: data.movies.size * rank }, () => random.next());
  const t = process.hrtime.bigint();
  let sum = 0;
  for (let u = 0; u < data.users.size; u++) {
    const x = u * rank;
    for (let e = data.userPtr[u]; e < data.userPtr[u + 1]; e++) {
      const y = data.userItems[e] * rank;
      let s = 0;
      for (let c = 0; c < rank; c++) s += users[x + c] * movies[y + c];
      sum += s;
    }
  }
  const elapsed = seconds(t);
  if (!Number.isFinite(sum)) throw new Error('bare pass: non-finite sum');
  return elapsed;
}
