import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInteractions, type Interactions } from '../../../../src/recommend/data/interactions.js';
import type { Genome, MovieTags } from '../../../../src/recommend/data/content-features.js';
import { CorruptArtefactError, writeArrayFile } from '../../../../src/recommend/models/array-file.js';
import { buildContentVectors } from '../../../../src/recommend/models/content/content-vectors.js';
import { ContentModel, DEFAULT_CONTENT_PARAMS, trainContent, type ContentParams } from '../../../../src/recommend/models/content/content.js';
import { emptyHistory, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { Catalogue } from '../../../../src/movies/catalogue.js';
import type { Movie } from '../../../../src/movies/movie.js';
import { Random } from '../../../../src/util/random.js';
import { tempDir } from '../../../helpers/tmp.js';

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

/** Movies with a genome and nothing else; relevance = a rank-`rank` signal plus `noise`. */
function genomeOnly(seed: number, movies: number, tags: number, rank: number, noise: number) {
  const rng = new Random(seed);
  const list: Movie[] = Array.from({ length: movies }, (_, i) => ({ movieId: 10 + i, title: `M${i}`, year: null, genres: ['(no genres listed)'] }));
  const a = Array.from({ length: movies * rank }, () => rng.normal());
  const b = Array.from({ length: tags * rank }, () => rng.normal());
  const relevance = new Float32Array(movies * tags);
  for (let m = 0; m < movies; m++) {
    for (let t = 0; t < tags; t++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += a[m * rank + k] * b[t * rank + k];
      relevance[m * tags + t] = s + noise * rng.normal();
    }
  }
  const genome: Genome = { tags: Array.from({ length: tags }, (_, t) => `g${t}`), movieIds: Int32Array.from(list, (m) => m.movieId), relevance };
  const rows: [number, number, number][] = [];
  for (let u = 0; u < 40; u++) for (const m of list) if (rng.chance(0.1)) rows.push([u + 1, m.movieId, rng.int(1, 10) / 2]);
  return { movies: list, genome, rows };
}

/** The k largest eigenvalues of a symmetric n×n matrix, by orthogonal (subspace) iteration. */
function topEigenvalues(g: number[][], k: number, rounds: number): number[] {
  const n = g.length;
  const rng = new Random(99);
  let q = Array.from({ length: k }, () => Array.from({ length: n }, () => rng.normal()));
  for (let round = 0; round < rounds; round++) {
    q = q.map((v) => g.map((row) => row.reduce((s, x, j) => s + x * v[j], 0)));
    // Gram–Schmidt.
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < i; j++) {
        const d = q[i].reduce((s, x, t) => s + x * q[j][t], 0);
        q[i] = q[i].map((x, t) => x - d * q[j][t]);
      }
      const norm = Math.sqrt(q[i].reduce((s, x) => s + x * x, 0));
      q[i] = q[i].map((x) => x / norm);
    }
  }
  // Rayleigh quotients of the converged basis.
  return q.map((v) => g.reduce((s, row, i) => s + v[i] * row.reduce((t, x, j) => t + x * v[j], 0), 0));
}

describe('the reduced space', () => {
  it('is exact when dims reach the rank of the vectors, though far below their length', () => {
    const { movies, genome, rows } = genomeOnly(5, 150, 60, 4, 0);
    const model = trainContent({ data: interactions(rows), catalogue: Catalogue.fromMovies(movies), genome }, { ...FIXED, dims: 6 });
    const truth = bruteVectors(movies, genome, undefined, model.params as ContentParams);
    assert.equal(model.coverage.dims, 4, 'the vectors span 4 directions (centring a rank-4 genome adds none): no more are kept');
    close(model.coverage.energy, 1, 'energy');
    for (const a of movies.slice(0, 30)) for (const b of movies) close(model.movieCosine(a.movieId, b.movieId)!, dot(truth.get(a.movieId)!, truth.get(b.movieId)!), `cos(${a.movieId}, ${b.movieId})`);
  });

  it('keeps as much of the vectors as the best subspace of its size, and its cosines track the full ones', () => {
    const { movies, genome, rows } = genomeOnly(6, 240, 70, 5, 0.8);
    const dims = 8;
    const model = trainContent({ data: interactions(rows), catalogue: Catalogue.fromMovies(movies), genome }, { ...FIXED, dims });
    const truth = bruteVectors(movies, genome, undefined, model.params as ContentParams);
    const vs = movies.map((m) => truth.get(m.movieId)!);
    const gram = vs.map((a) => vs.map((b) => dot(a, b)));
    const best = topEigenvalues(gram, dims, 150).reduce((s, x) => s + x, 0) / vs.length;
    const { energy } = model.coverage;
    assert.ok(energy <= best + 1e-6 && energy >= 0.99 * best, `energy ${energy} vs the best ${dims}-dim subspace's ${best}`);
    // Pearson correlation of the reduced and full cosines over all pairs.
    let [sx, sy, sxx, syy, sxy, n] = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < movies.length; i++) {
      for (let j = i + 1; j < movies.length; j++) {
        const x = gram[i][j];
        const y = model.movieCosine(movies[i].movieId, movies[j].movieId)!;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
        n++;
      }
    }
    const corr = (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
    assert.ok(corr > 0.95, `correlation ${corr}`);
  });

  it('recommend and similar find what a scan of every movie finds, over many groups of movies', () => {
    const { movies, genome, rows } = genomeOnly(7, 700, 40, 6, 0.5);
    const model = trainContent({ data: interactions(rows), catalogue: Catalogue.fromMovies(movies), genome }, { ...FIXED, dims: 12 });
    const all = movies.map((m) => m.movieId);
    const rng = new Random(3);
    for (let u = 0; u < 5; u++) {
      const pairs = Array.from({ length: 30 }, () => [all[rng.int(0, all.length - 1)], rng.int(1, 10) / 2] as [number, number]);
      const h = history(100 + u, pairs);
      const profile = model.profileOf(h)!;
      const seen = new Set(pairs.map((p) => p[0]));
      for (const exclude of [undefined, (id: number) => id % 5 === 0]) {
        const want = all
          .filter((id) => !seen.has(id) && !(exclude?.(id) ?? false))
          .map((id) => ({ movieId: id, score: model.cosine(profile, id)! }))
          .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
          .slice(0, 25);
        const got = model.recommend(h, 25, { exclude });
        assert.deepEqual(ids(got), ids(want), `user ${u}`);
        got.forEach((s, i) => close(s.score, want[i].score, `user ${u} rank ${i}`));
      }
      const a = all[rng.int(0, all.length - 1)];
      const want = all
        .filter((b) => b !== a)
        .map((b) => ({ movieId: b, score: model.movieCosine(a, b)! }))
        .filter((s) => s.score > 0)
        .sort((x, y) => y.score - x.score || x.movieId - y.movieId)
        .slice(0, 20);
      const got = model.similar(a, 20);
      assert.deepEqual(ids(got), ids(want), `similar(${a})`);
      got.forEach((s, i) => close(s.score, want[i].score, `similar(${a}) rank ${i}`));
    }
  });

  it('is the same for the same seed; dims is checked', () => {
    const { movies, genome, rows } = genomeOnly(8, 120, 30, 5, 0.5);
    const train = () => trainContent({ data: interactions(rows), catalogue: Catalogue.fromMovies(movies), genome }, { ...FIXED, dims: 4 });
    const [a, b] = [train(), train()];
    for (const m of movies.slice(0, 20)) assert.deepEqual(a.similar(m.movieId, 10), b.similar(m.movieId, 10));
    assert.throws(() => trainContent({ data: interactions(rows), catalogue: Catalogue.fromMovies(movies), genome }, { dims: 0 }), /dims must be an integer from 1 to 4096, got 0/);
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

  it('loads a version-1 artefact (the full vectors) and serves it as training would have', () => {
    const { dir, cleanup } = tempDir();
    try {
      const { movies: ms, genome, tags, rows } = randomContent(9);
      const data = interactions(rows);
      const catalogue = Catalogue.fromMovies(ms);
      const model = trainContent({ data, catalogue, genome, tags }, FIXED);
      // What version 1 wrote: the full vectors, and each movie's mean rating damped by 5 at μ.
      const { dims: _dims, ...v1Params } = model.params;
      const v = buildContentVectors(catalogue, genome, tags, v1Params);
      const itemMean = Float32Array.from(v.movieIds, (id) => {
        const rs = rows.filter((r) => r[1] === id).map((r) => r[2]);
        return (rs.reduce((a, b) => a + b, 0) + 5 * data.globalMean) / (rs.length + 5);
      });
      mkdirSync(dir, { recursive: true });
      writeArrayFile(join(dir, 'content.bin'), { format: 'content', version: 1, params: v1Params, globalMean: data.globalMean, scale: model.scale, genomeDim: v.genomeDim, featureNames: v.featureNames }, {
        users: data.users.ids,
        movieIds: v.movieIds,
        itemMean,
        genomeRow: v.genomeRow,
        genome: v.genome,
        metaPtr: v.metaPtr,
        metaIdx: v.metaIdx,
        metaVal: v.metaVal,
      });
      const loaded = ContentModel.load(dir);
      assert.equal(loaded.params.dims, DEFAULT_CONTENT_PARAMS.dims);
      assert.deepEqual(loaded.coverage, model.coverage);
      const h = history(1, [[ms[0].movieId, 5], [ms[3].movieId, 2], [ms[4].movieId, 4]]);
      assert.deepEqual(loaded.recommend(h, 10), model.recommend(h, 10));
      for (const m of ms) {
        assert.deepEqual(loaded.similar(m.movieId, 6), model.similar(m.movieId, 6));
        close(loaded.predict(h, m.movieId), model.predict(h, m.movieId), `predict ${m.movieId}`);
        close(loaded.predict(emptyHistory(5), m.movieId), model.predict(emptyHistory(5), m.movieId), `damped mean ${m.movieId}`);
      }
    } finally {
      cleanup();
    }
  });
});
