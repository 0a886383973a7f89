import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildInteractions, type Interactions } from '../../../src/recommend/data/interactions.js';
import type { Genome, MovieTags } from '../../../src/recommend/data/content-features.js';
import { CorruptArtefactError } from '../../../src/recommend/models/array-file.js';
import { ContentModel, trainContent, type ContentParams } from '../../../src/recommend/models/content.js';
import { emptyHistory, type UserHistory } from '../../../src/recommend/models/recommender.js';
import { Catalogue } from '../../../src/pipelines/ratings/catalogue.js';
import type { Movie } from '../../../src/pipelines/ratings/movie.js';
import { Random } from '../../../src/util/random.js';
import { tempDir } from '../../helpers/tmp.js';

type Vec = Map<string, number>;

function interactions(rows: [number, number, number][]): Interactions {
  return buildInteractions({
    users: Int32Array.from(rows.map((r) => r[0])),
    movies: Int32Array.from(rows.map((r) => r[1])),
    ratings: Float32Array.from(rows.map((r) => r[2])),
    timestamps: new Float64Array(rows.length),
  });
}

const history = (userId: number, pairs: [number, number][]): UserHistory => ({ userId, movies: Int32Array.from(pairs.map((p) => p[0])), ratings: Float32Array.from(pairs.map((p) => p[1])) });
const ids = (list: { movieId: number }[]) => list.map((s) => s.movieId);
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);

/** The documented recipe, computed with named dense dimensions. */
function bruteVectors(movies: Movie[], genome: Genome | undefined, tags: MovieTags | undefined, p: ContentParams): Map<number, Vec> {
  const T = genome?.tags.length ?? 0;
  const G = genome?.movieIds.length ?? 0;
  const mean = Array.from({ length: T }, (_, t) => {
    let s = 0;
    for (let g = 0; g < G; g++) s += genome!.relevance[g * T + t];
    return s / G;
  });
  const sd = Array.from({ length: T }, (_, t) => {
    let s = 0;
    for (let g = 0; g < G; g++) s += (genome!.relevance[g * T + t] - mean[t]) ** 2;
    return Math.sqrt(s / G);
  });
  const tagged = new Set(tags?.movieIds ?? []);
  const df = new Map<number, number>();
  for (let k = 0; k < (tags?.movieIds.length ?? 0); k++) df.set(tags!.tagIds[k], (df.get(tags!.tagIds[k]) ?? 0) + 1);
  const unit = (v: Vec): Vec => {
    const n = Math.sqrt([...v.values()].reduce((a, x) => a + x * x, 0));
    return new Map([...v].map(([k, x]) => [k, x / n]));
  };
  const out = new Map<number, Vec>();
  for (const movie of movies) {
    const genres = movie.genres.filter((g) => g !== '(no genres listed)');
    const blocks: [Vec, number][] = [];
    if (genres.length > 0) blocks.push([new Map(genres.map((g) => [`genre:${g}`, 1])), p.genreShare]);
    if (movie.year !== null) blocks.push([new Map([[`year:${Math.floor(movie.year / p.yearBucket) * p.yearBucket}`, 1]]), p.yearShare]);
    const tagVec: Vec = new Map();
    for (let k = 0; k < (tags?.movieIds.length ?? 0); k++) {
      if (tags!.movieIds[k] !== movie.movieId || df.get(tags!.tagIds[k])! < p.minTagMovies) continue;
      const w = (1 + Math.log(tags!.counts[k])) * Math.log(tagged.size / df.get(tags!.tagIds[k])!);
      if (w > 0) tagVec.set(`tag:${tags!.tags[tags!.tagIds[k]]}`, w);
    }
    if (tagVec.size > 0) blocks.push([tagVec, p.tagShare]);
    const shares = blocks.reduce((a, b) => a + b[1], 0);
    const meta: Vec = new Map();
    for (const [v, share] of blocks) for (const [k, x] of unit(v)) meta.set(k, (x * Math.sqrt(share)) / Math.sqrt(shares));
    const g = genome ? genome.movieIds.indexOf(movie.movieId) : -1;
    const vec: Vec = new Map();
    if (g >= 0) {
      const z: Vec = new Map();
      for (let t = 0; t < T; t++) z.set(`genome:${t}`, sd[t] > 0 ? (genome!.relevance[g * T + t] - mean[t]) / sd[t] : 0);
      const gw = meta.size > 0 ? p.genomeShare : 1;
      for (const [k, x] of unit(z)) vec.set(k, x * Math.sqrt(gw));
      for (const [k, x] of meta) vec.set(k, x * Math.sqrt(1 - gw));
    } else {
      for (const [k, x] of meta) vec.set(k, x);
    }
    if (vec.size > 0) out.set(movie.movieId, vec);
  }
  return out;
}

const dot = (a: Vec, b: Vec) => [...a].reduce((s, [k, x]) => s + x * (b.get(k) ?? 0), 0);

/** A random catalogue, a genome over half of it, and user tags. */
function randomContent(seed: number) {
  const rng = new Random(seed);
  const genreNames = ['Action', 'Comedy', 'Drama', 'Horror', 'Romance'];
  const movies: Movie[] = [];
  for (let i = 0; i < 40; i++) {
    const genres = genreNames.filter(() => rng.chance(0.35));
    const year = rng.chance(0.1) ? null : rng.int(1950, 2015);
    movies.push({ movieId: 3 + 7 * i, title: `M${i}`, year, genres: genres.length > 0 ? genres : ['(no genres listed)'] });
  }
  const genomeMovies = movies.filter((_, i) => i % 2 === 0).map((m) => m.movieId);
  const T = 12;
  const relevance = new Float32Array(genomeMovies.length * T);
  for (let k = 0; k < relevance.length; k++) relevance[k] = rng.next() ** 2;
  const genome: Genome = { tags: Array.from({ length: T }, (_, t) => `g${t}`), movieIds: Int32Array.from(genomeMovies), relevance };
  const tagRows: [number, number, number][] = [];
  for (const m of movies) for (let t = 0; t < 10; t++) if (rng.chance(0.15)) tagRows.push([m.movieId, t, rng.int(1, 5)]);
  const tags: MovieTags = {
    tags: Array.from({ length: 10 }, (_, t) => `tag ${t}`),
    movieIds: Int32Array.from(tagRows.map((r) => r[0])),
    tagIds: Int32Array.from(tagRows.map((r) => r[1])),
    counts: Int32Array.from(tagRows.map((r) => r[2])),
  };
  const rows: [number, number, number][] = [];
  for (let u = 0; u < 30; u++) for (const m of movies) if (rng.chance(0.3)) rows.push([u + 1, m.movieId, rng.int(1, 10) / 2]);
  return { movies, genome, tags, rows };
}

const FIXED: Partial<ContentParams> = { predictionScale: 2 };

describe('trainContent vectors and cosines', () => {
  const { movies, genome, tags, rows } = randomContent(3);
  const catalogue = Catalogue.fromMovies(movies);
  const data = interactions(rows);

  for (const withGenome of [true, false]) {
    it(`cosines and similar() equal brute force (${withGenome ? 'genome on half the movies' : 'no genome'})`, () => {
      const model = trainContent({ data, catalogue, genome: withGenome ? genome : undefined, tags }, FIXED);
      const truth = bruteVectors(movies, withGenome ? genome : undefined, tags, model.params as ContentParams);
      assert.equal(model.coverage.movies, truth.size);
      assert.equal(model.coverage.genome, withGenome ? 20 : 0);
      assert.ok([...truth.values()].some((v) => [...v.keys()].some((k) => k.startsWith('tag:'))), 'user tags must be exercised');
      for (const [a, va] of truth) {
        close(dot(va, va), 1, `|v${a}|`);
        for (const [b, vb] of truth) close(model.movieCosine(a, b)!, dot(va, vb), `cos(${a}, ${b})`);
        const k = 5;
        const got = model.similar(a, k);
        const eligible = [...truth].filter(([b]) => b !== a).map(([b, vb]) => [b, dot(va, vb)] as const).filter(([, c]) => c > 0);
        assert.equal(got.length, Math.min(k, eligible.length));
        for (const s of got) close(s.score, dot(va, truth.get(s.movieId)!), `similar(${a}) ${s.movieId}`);
        const kept = new Set(ids(got));
        const weakest = got.at(-1)?.score ?? Infinity;
        for (const [b, c] of eligible) if (!kept.has(b)) assert.ok(c <= weakest + 1e-6, `${b} (${c}) should be among similar(${a})`);
        assert.deepEqual(model.similar(a, 3), got.slice(0, 3), 'a shorter list is the head of the longer one');
      }
    });
  }

  it('recommend ranks by cosine to the mean vector of the liked movies', () => {
    const model = trainContent({ data, catalogue, genome, tags }, FIXED);
    const truth = bruteVectors(movies, genome, tags, model.params as ContentParams);
    const h = history(1, [[movies[0].movieId, 5], [movies[1].movieId, 4], [movies[2].movieId, 1], [movies[5].movieId, 4.5]]);
    const mean = (5 + 4 + 1 + 4.5) / 4;
    const liked = [0, 1, 5].map((i) => truth.get(movies[i].movieId)!).filter((v) => v !== undefined);
    assert.ok(mean > 1 && liked.length > 0);
    const profile: Vec = new Map();
    for (const v of liked) for (const [k, x] of v) profile.set(k, (profile.get(k) ?? 0) + x / liked.length);
    const norm = Math.sqrt(dot(profile, profile));
    const seen = new Set([0, 1, 2, 5].map((i) => movies[i].movieId));
    const expected = [...truth].filter(([id]) => !seen.has(id)).map(([id, v]) => ({ movieId: id, score: dot(profile, v) / norm }));
    expected.sort((a, b) => b.score - a.score || a.movieId - b.movieId);
    const got = model.recommend(h, 8);
    assert.equal(got.length, 8);
    got.forEach((s, i) => close(s.score, expected[i].score, `rank ${i}`));
    // Candidates: only those are scored.
    const cands = Int32Array.from([expected[10].movieId, expected[3].movieId, movies[0].movieId]);
    assert.deepEqual(ids(model.recommend(h, 5, { candidates: cands })), [expected[3].movieId, expected[10].movieId]);
  });
});

describe('ContentModel on genres and years alone', () => {
  const movies: Movie[] = [
    { movieId: 1, title: 'A', year: 1991, genres: ['Comedy'] },
    { movieId: 2, title: 'B', year: 1995, genres: ['Comedy', 'Horror'] },
    { movieId: 3, title: 'C', year: 1999, genres: ['Horror'] },
  ];
  const params: Partial<ContentParams> = { genreShare: 0.6, yearShare: 0.2, tagShare: 0.2, predictionScale: 2 };

  it('falls back to genres and year buckets: hand-computed cosines and prediction', () => {
    const model = trainContent({ data: interactions([[1, 1, 5], [1, 3, 1]]), catalogue: Catalogue.fromMovies(movies) }, params);
    // Tags absent: genre and year shares renormalised over 0.8.
    const cos12 = (Math.sqrt(0.6 / 2) * Math.sqrt(0.6) + 0.2) / 0.8;
    const cos13 = 0.2 / 0.8;
    close(model.movieCosine(1, 2)!, cos12, 'cos(1, 2)');
    close(model.movieCosine(1, 3)!, cos13, 'cos(1, 3)');
    assert.deepEqual(ids(model.similar(1, 5)), [2, 3]);
    // History 1 → 5, 3 → 1: mean 3, liked {1}, so the profile is movie 1's vector.
    const h = history(1, [[1, 5], [3, 1]]);
    const meanCos = (1 + cos13) / 2;
    close(model.predict(h, 2), 3 + 2 * (cos12 - meanCos), 'predict');
    assert.deepEqual(ids(model.recommend(h, 5)), [2], 'a movie nobody rated is recommended by content');
  });

  it('a user who rated one genre highly gets that genre first', () => {
    const rng = new Random(9);
    const catalogue: Movie[] = [];
    for (let i = 0; i < 24; i++) catalogue.push({ movieId: 100 + i, title: `M${i}`, year: rng.int(1980, 2010), genres: [i % 2 === 0 ? 'Comedy' : 'Horror'] });
    const model = trainContent({ data: interactions([[1, 100, 5], [1, 101, 1]]), catalogue: Catalogue.fromMovies(catalogue) }, params);
    const h = history(7, [[100, 5], [102, 4.5], [104, 5], [101, 1], [103, 2]]);
    const recs = model.recommend(h, 9);
    assert.equal(recs.length, 9);
    assert.ok(ids(recs.slice(0, 9)).every((id) => (id - 100) % 2 === 0), `comedies first: ${ids(recs)}`);
    assert.ok(model.predict(h, 106) > model.predict(h, 105), 'a comedy is predicted above a horror film');
  });

  it('fits β > 0 when ratings follow the content', () => {
    const catalogue: Movie[] = [];
    for (let i = 0; i < 30; i++) catalogue.push({ movieId: i + 1, title: `M${i}`, year: 2000, genres: [i % 3 === 0 ? 'Comedy' : i % 3 === 1 ? 'Horror' : 'Drama'] });
    const rng = new Random(4);
    const rows: [number, number, number][] = [];
    for (let u = 0; u < 40; u++) {
      const fav = u % 3;
      for (let i = 0; i < 30; i++) if (rng.chance(0.5)) rows.push([u + 1, i + 1, i % 3 === fav ? 4.5 : 2]);
    }
    const model = trainContent({ data: interactions(rows), catalogue: Catalogue.fromMovies(catalogue) });
    assert.ok(model.params.predictionScale > 0 && model.params.predictionScale <= 20, `β = ${model.params.predictionScale}`);
  });

  it('never throws for unknown users or movies', () => {
    const model = trainContent({ data: interactions([[1, 1, 5], [2, 1, 4], [1, 3, 1]]), catalogue: Catalogue.fromMovies(movies) }, params);
    const mu = 10 / 3;
    assert.equal(model.knowsUser(1), true);
    assert.equal(model.knowsUser(99), false);
    assert.equal(model.knowsMovie(2), true, 'a catalogue movie without ratings has a vector');
    assert.equal(model.knowsMovie(404), false);
    close(model.predict(emptyHistory(99), 1), (9 + 5 * mu) / (2 + 5), 'no profile: the damped movie mean');
    close(model.predict(emptyHistory(99), 404), mu, 'nothing known: μ');
    assert.equal(model.predict(history(99, [[1, 4], [404, 2]]), 405), 3);
    assert.deepEqual(model.recommend(emptyHistory(99), 5), []);
    assert.deepEqual(model.recommend(history(99, [[404, 5]]), 5), []);
    assert.deepEqual(model.similar(404, 5), []);
    assert.throws(() => trainContent({ data: interactions([[1, 1, 5]]), catalogue: Catalogue.fromMovies(movies) }, { genreShare: 2 }), /genreShare must be a number in \[0, 1\], got 2/);
  });

  it('save → load gives the same answers; a damaged file is refused', () => {
    const { dir, cleanup } = tempDir();
    try {
      const { movies: ms, genome, tags, rows } = randomContent(8);
      const model = trainContent({ data: interactions(rows), catalogue: Catalogue.fromMovies(ms), genome, tags });
      const [path] = model.save(dir);
      const loaded = ContentModel.load(dir);
      assert.deepEqual(loaded.params, model.params);
      assert.deepEqual(loaded.coverage, model.coverage);
      const h = history(1, [[ms[0].movieId, 5], [ms[3].movieId, 2], [ms[4].movieId, 4]]);
      for (const m of ms) {
        assert.deepEqual(loaded.similar(m.movieId, 6), model.similar(m.movieId, 6));
        assert.equal(loaded.predict(h, m.movieId), model.predict(h, m.movieId));
      }
      assert.deepEqual(loaded.recommend(h, 10), model.recommend(h, 10));
      const bytes = readFileSync(path);
      bytes[bytes.length - 5] ^= 0x10;
      writeFileSync(path, bytes);
      assert.throws(() => ContentModel.load(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
