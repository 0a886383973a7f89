import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MOVIELENS_GENRES } from '../../../src/movies/movie.js';
import { loadCatalogue } from '../../../src/movies/catalogue.js';
import { loadGenome, loadMovieTags } from '../../../src/recommend/data/content-store.js';
import { datasetDir, importMovieLens } from '../../../src/recommend/data/import.js';
import { loadRatings } from '../../../src/recommend/data/ratings-store.js';
import { synthesize, synthModel, writeSynthDataset, type SynthOptions } from '../../../src/recommend/data/synth.js';
import { tempDir } from '../../helpers/tmp.js';
import { cosine } from '../../helpers/cosine.js';

const SMALL: SynthOptions = { users: 300, movies: 200, ratings: 12_000, rank: 4, noise: 0.5, seed: 3 };

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function counts(ids: Int32Array, n: number): number[] {
  const c = new Array<number>(n + 1).fill(0);
  for (const id of ids) c[id]++;
  return c.slice(1);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pearson(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}


describe('synthesize', () => {
  it('is deterministic for a seed and differs for another', () => {
    const a = synthesize(SMALL);
    const b = synthesize(SMALL);
    const c = synthesize({ ...SMALL, seed: 4 });
    for (const col of ['users', 'movies', 'ratings', 'timestamps'] as const) assert.ok(bytes(a.columns[col]).equals(bytes(b.columns[col])), col);
    assert.ok(bytes(a.genome.relevance).equals(bytes(b.genome.relevance)));
    assert.deepEqual(a.tags, b.tags);
    assert.deepEqual(a.movies, b.movies);
    assert.deepEqual(a.truth, b.truth);
    assert.ok(!bytes(a.columns.movies).equals(bytes(c.columns.movies)));
    assert.ok(!bytes(a.columns.ratings).equals(bytes(c.columns.ratings)));
  });

  it('emits exactly the ratings asked for: ids 1..N, >= 5 per user, no repeated pair, half stars in 0.5..5, sorted by user then movie', () => {
    const { columns } = synthesize(SMALL);
    const n = columns.users.length;
    assert.equal(n, SMALL.ratings);
    const pairs = new Set<number>();
    for (let i = 0; i < n; i++) {
      const u = columns.users[i];
      const m = columns.movies[i];
      assert.ok(u >= 1 && u <= SMALL.users && m >= 1 && m <= SMALL.movies);
      pairs.add(u * 1_000_000 + m);
      const r = columns.ratings[i];
      assert.ok(r >= 0.5 && r <= 5 && Number.isInteger(r * 2), `rating ${r}`);
      if (i > 0) assert.ok(columns.users[i - 1] < u || (columns.users[i - 1] === u && columns.movies[i - 1] < m), `row ${i} out of order`);
      // Whole seconds within 2015..2018.
      const t = columns.timestamps[i];
      assert.ok(t % 1000 === 0 && t >= Date.UTC(2015, 0, 1) && t < Date.UTC(2019, 0, 1), `timestamp ${t}`);
    }
    assert.equal(pairs.size, n, 'no (user, movie) pair twice');
    const perUser = counts(columns.users, SMALL.users);
    assert.ok(Math.min(...perUser) >= 5);
  });

  it('has heavy-tailed user activity and Zipf-like movie popularity', () => {
    const options = { users: 2000, movies: 2000, ratings: 60_000, rank: 3, noise: 0.5, seed: 1 };
    const { columns } = synthesize(options);
    const perUser = counts(columns.users, options.users);
    const perMovie = counts(columns.movies, options.movies);
    assert.ok(Math.max(...perUser) > 8 * median(perUser), `users: max ${Math.max(...perUser)}, median ${median(perUser)}`);
    assert.ok(Math.max(...perMovie) > 30 * median(perMovie), `movies: max ${Math.max(...perMovie)}, median ${median(perMovie)}`);
    // The 10 % most rated movies take most ratings.
    const top = [...perMovie].sort((a, b) => b - a).slice(0, options.movies / 10);
    assert.ok(top.reduce((a, b) => a + b, 0) > 0.5 * options.ratings);
  });

  it('handles dense requests: every user rating every movie', () => {
    const { columns } = synthesize({ users: 20, movies: 30, ratings: 600, rank: 2, noise: 0.3, seed: 9 });
    assert.deepEqual(counts(columns.users, 20), new Array(20).fill(30));
    assert.deepEqual(counts(columns.movies, 30), new Array(30).fill(20));
  });

  it('noiseFloorRmse is the RMSE of the emitted ratings against the model, recomputed here from its factors', () => {
    for (const noise of [0, 0.1, 0.5, 1]) {
      const options = { ...SMALL, noise };
      const { columns, truth } = synthesize(options);
      const model = synthModel(options);
      assert.equal(truth.globalMean, model.globalMean);
      const k = options.rank;
      let sq = 0;
      let clipped = 0;
      // Away from the clipping bounds, the error is rounding (uniform over a half star) plus noise.
      let innerSq = 0;
      let inner = 0;
      for (let i = 0; i < columns.users.length; i++) {
        const u = columns.users[i] - 1;
        const m = columns.movies[i] - 1;
        let x = model.globalMean + model.userBias[u] + model.movieBias[m];
        for (let f = 0; f < k; f++) x += model.userFactors[u * k + f] * model.movieFactors[m * k + f];
        const e2 = (columns.ratings[i] - x) ** 2;
        sq += e2;
        if (x < 0.25 || x > 5.25) clipped++;
        if (x >= 1.5 && x <= 4) {
          innerSq += e2;
          inner++;
        }
      }
      const rmse = Math.sqrt(sq / columns.users.length);
      assert.ok(Math.abs(rmse - truth.noiseFloorRmse) < 1e-9, `noise ${noise}: ${rmse} vs ${truth.noiseFloorRmse}`);
      assert.ok(clipped < 0.05 * columns.users.length, `clipped ${clipped}`);
      if (noise <= 0.5) {
        const expected = Math.sqrt(noise * noise + 0.25 / 12);
        const innerRmse = Math.sqrt(innerSq / inner);
        assert.ok(innerRmse > 0.9 * expected && innerRmse < 1.1 * expected, `noise ${noise}: inner RMSE ${innerRmse}, about ${expected}`);
      }
      assert.ok(truth.noiseFloorRmse >= 0.8 * noise, `noise ${noise}: floor ${truth.noiseFloorRmse}`);
    }
  });

  it('the model keeps its parameters when only the number of ratings changes', () => {
    const a = synthModel(SMALL);
    const b = synthModel({ ...SMALL, ratings: SMALL.ratings * 2 });
    assert.ok(bytes(a.movieFactors).equals(bytes(b.movieFactors)));
    assert.ok(bytes(a.userBias).equals(bytes(b.userBias)));
  });

  it('movies have titles, years and 1-3 MovieLens genres; the genome is in [0,1] and tracks the movie factors', () => {
    const options = { ...SMALL, genomeTags: 40 };
    const { movies, genome, tags } = synthesize(options);
    assert.equal(movies.length, options.movies);
    movies.forEach((m, i) => {
      assert.equal(m.movieId, i + 1);
      assert.equal(m.title, `Synthetic Movie ${i + 1} (${m.year})`);
      assert.ok(m.genres.length >= 1 && m.genres.length <= 3);
      for (const g of m.genres) assert.ok((MOVIELENS_GENRES as readonly string[]).includes(g), g);
    });
    assert.equal(genome.tags.length, 40);
    assert.equal(new Set(genome.tags).size, 40);
    assert.deepEqual([...genome.movieIds], movies.map((m) => m.movieId));
    for (const r of genome.relevance) assert.ok(r >= 0 && r <= 1);
    // Content similarity (genome vectors) correlates with collaborative similarity (factor vectors).
    const model = synthModel(options);
    const k = options.rank;
    const T = genome.tags.length;
    const content: number[] = [];
    const collab: number[] = [];
    for (let a = 0; a < 60; a++) {
      for (let b = a + 1; b < 60; b++) {
        content.push(cosine(genome.relevance.subarray(a * T, (a + 1) * T).map((x) => x - 0.3), genome.relevance.subarray(b * T, (b + 1) * T).map((x) => x - 0.3)));
        collab.push(cosine(model.movieFactors.subarray(a * k, (a + 1) * k), model.movieFactors.subarray(b * k, (b + 1) * k)));
      }
    }
    assert.ok(pearson(content, collab) > 0.5, `correlation ${pearson(content, collab)}`);
    // User tags: some, on rated movies, using genome tag texts, sorted rows.
    assert.ok(tags.movieIds.length > 0);
    for (const t of tags.tags) assert.ok(genome.tags.includes(t), t);
    for (let i = 1; i < tags.movieIds.length; i++) {
      assert.ok(tags.movieIds[i - 1] < tags.movieIds[i] || (tags.movieIds[i - 1] === tags.movieIds[i] && tags.tagIds[i - 1] < tags.tagIds[i]));
    }
  });

  it('refuses impossible options, naming the option', () => {
    assert.throws(() => synthesize({ ...SMALL, ratings: 100 }), /ratings must be an integer from 1500 \(5 per user\) to 60000/);
    assert.throws(() => synthesize({ ...SMALL, ratings: 60_001 }), /ratings must be .* to 60000 \(users × movies\)/);
    assert.throws(() => synthesize({ ...SMALL, movies: 4 }), /movies must be an integer from 5/);
    assert.throws(() => synthesize({ ...SMALL, rank: 0 }), /rank must be/);
    assert.throws(() => synthesize({ ...SMALL, noise: -1 }), /noise must be from 0 to 10/);
    assert.throws(() => synthesize({ ...SMALL, seed: 1.5 }), /seed must be an integer/);
  });
});

describe('writeSynthDataset', () => {
  it('writes the ml-latest layout, which imports back to exactly what synthesize returns', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = join(dir, 'synth');
      const seen: number[] = [];
      const truth = await writeSynthDataset(out, SMALL, (done, total) => seen.push(done / total));
      assert.equal(seen.at(-1), 1);
      const expected = synthesize(SMALL);
      assert.deepEqual(truth, expected.truth);
      assert.deepEqual(JSON.parse(readFileSync(join(out, 'synth.json'), 'utf8')), expected.truth);

      const result = await importMovieLens(out, join(dir, 'data'));
      assert.equal(result.badLines, 0);
      const stored = datasetDir(join(dir, 'data'), 'synth');
      const { columns } = loadRatings(stored);
      for (const col of ['users', 'movies', 'ratings', 'timestamps'] as const) assert.ok(bytes(columns[col]).equals(bytes(expected.columns[col])), col);
      assert.deepEqual(loadGenome(stored), expected.genome);
      assert.deepEqual(loadMovieTags(stored), expected.tags);
      // The tag with a comma and the one with quotes survive the CSV.
      assert.ok(expected.genome.tags.includes('funny, but sad') && expected.genome.tags.includes('so bad it\'s "good"'));
      const catalogue = await loadCatalogue(join(stored, 'movies.csv'));
      assert.deepEqual(catalogue.all(), expected.movies);
    } finally {
      cleanup();
    }
  });
});
