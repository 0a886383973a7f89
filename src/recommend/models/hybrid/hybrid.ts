// The hybrid: a blend of the other models. Rating prediction is a linear blend (intercept plus a
// weight per rating component); top-N ranking is a weighted fusion of each component's own top
// list — of their ranks (reciprocal-rank fusion) or of their scores min-max normalised within the
// list, as fitted — because the components' ranking scores live on different scales (a predicted
// rating, a similarity sum, a count). Users with few ratings may get weights of their own. Every
// weight is fitted on a validation split (hybrid-fit.ts, hybrid-train.ts). The artefact holds only
// the weights and the component versions; the components are loaded from the registry beside it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptArtefactError } from '../array-file.js';
import { clamp, predictions, TopN, type Recommender, type RecommendOptions, type Scored, type UserHistory } from '../recommender.js';
import { fusionTerm, metaFeature, type Fusion, type MovieCounts, type RatingBlend } from './hybrid-fit.js';

export interface HybridWeights {
  rating: RatingBlend;
  ranking: {
    weights: Partial<Record<string, number>>;
    /** The reciprocal-rank constant: a component's item at rank r scores w / (rrfK + r). */
    rrfK: number;
    /** How deep each component's own list is read, as a multiple of n (at least 50). */
    depth: number;
    /** How the lists are fused: their ranks (absent: what format-1 files hold) or their scores. */
    fusion?: Fusion;
    /** Users whose history holds fewer than `below` ratings are ranked with these weights instead. */
    newUsers?: { below: number; weights: Partial<Record<string, number>> };
  };
}

export const HYBRID_FILE = 'hybrid.json';

interface Part {
  model: Recommender;
  weight: number;
}

export class HybridModel implements Recommender {
  readonly name = 'hybrid' as const;
  readonly scale: { min: number; max: number };
  /** The components that count, with their weights: resolved once, read on every request. */
  private readonly ratingParts: Part[];
  private readonly rankingParts: Part[];
  private readonly newUserParts: Part[];
  /** Every component at weight 1: what `similar` falls back to. */
  private readonly equalParts: Part[];
  private readonly fusion: Fusion;
  /** Rating counts for the movie meta-feature: the popularity component's (it follows the stream). */
  private readonly counts: MovieCounts | undefined;
  private readonly fused = new ScoreTable();

  constructor(
    readonly components: ReadonlyMap<string, Recommender>,
    readonly weights: HybridWeights,
  ) {
    const first = [...components.values()][0];
    if (first === undefined) throw new Error('a hybrid needs at least one component');
    this.scale = first.scale;
    const parts = (w: Partial<Record<string, number>>, keep: (weight: number) => boolean): Part[] =>
      (Object.entries(w) as [string, number][]).flatMap(([name, weight]) => {
        const model = components.get(name);
        return model !== undefined && keep(weight) ? [{ model, weight }] : [];
      });
    this.ratingParts = parts(weights.rating.weights, (w) => w !== 0);
    this.rankingParts = parts(weights.ranking.weights, (w) => w > 0);
    this.newUserParts = weights.ranking.newUsers === undefined ? this.rankingParts : parts(weights.ranking.newUsers.weights, (w) => w > 0);
    this.fusion = weights.ranking.fusion ?? 'rrf';
    this.equalParts = [...components.values()].map((model) => ({ model, weight: 1 }));
    const popularity = components.get('popularity') as (Recommender & Partial<MovieCounts>) | undefined;
    this.counts = typeof popularity?.count === 'function' ? (popularity as unknown as MovieCounts) : undefined;
  }

  predict(user: UserHistory, movieId: number): number {
    const { rating } = this.weights;
    let value = rating.intercept;
    if (rating.meta === undefined) {
      for (const { model, weight } of this.ratingParts) value += weight * model.predict(user, movieId);
      return clamp(value, this.scale);
    }
    const f = rating.meta.map((m) => metaFeature(m.feature, user, movieId, this.counts) - m.centre);
    rating.meta.forEach((m, k) => (value += f[k] * m.intercept));
    for (const { model, weight } of this.ratingParts) {
      let w = weight;
      rating.meta.forEach((m, k) => (w += f[k] * (m.weights[model.name] ?? 0)));
      value += w * model.predict(user, movieId);
    }
    return clamp(value, this.scale);
  }

  /**
   * `predict` for each movie: each component's predictions at once (its per-history work done
   * once), blended per movie with the same arithmetic, in the same order, as `predict`.
   */
  predictMany(user: UserHistory, movieIds: ArrayLike<number>): Float64Array {
    const { rating } = this.weights;
    const parts = this.ratingParts;
    const predicted = parts.map(({ model }) => predictions(model, user, movieIds));
    const out = new Float64Array(movieIds.length);
    const meta = rating.meta;
    const f = meta === undefined ? [] : new Array<number>(meta.length);
    for (let i = 0; i < movieIds.length; i++) {
      let value = rating.intercept;
      if (meta === undefined) {
        for (let c = 0; c < parts.length; c++) value += parts[c].weight * predicted[c][i];
        out[i] = clamp(value, this.scale);
        continue;
      }
      for (let k = 0; k < meta.length; k++) f[k] = metaFeature(meta[k].feature, user, movieIds[i], this.counts) - meta[k].centre;
      for (let k = 0; k < meta.length; k++) value += f[k] * meta[k].intercept;
      for (let c = 0; c < parts.length; c++) {
        let w = parts[c].weight;
        for (let k = 0; k < meta.length; k++) w += f[k] * (meta[k].weights[parts[c].model.name] ?? 0);
        value += w * predicted[c][i];
      }
      out[i] = clamp(value, this.scale);
    }
    return out;
  }

  recommend(user: UserHistory, n: number, options?: RecommendOptions): Scored[] {
    const newUsers = this.weights.ranking.newUsers;
    const parts = newUsers !== undefined && user.movies.length < newUsers.below ? this.newUserParts : this.rankingParts;
    return this.fuse(parts, this.fusion, n, (model, depth) => model.recommend(user, depth, options));
  }

  /**
   * Similar movies in the order of a reciprocal-rank fusion, with the ranking weights, over the
   * components' own similar lists; score = the ranking-weighted mean of the components'
   * similarities (each in [0, 1]), over the components that answer for this movie (a non-empty
   * list: popularity never does), a movie missing from a component's list counting 0 for it. So the
   * score is in [0, 1] and means what a component's does, but the list is in fused order: a later
   * movie may score higher than an earlier one. When no weighted component answers (the ranking
   * may rest on popularity alone), every component's list counts alike.
   */
  similar(movieId: number, n: number): Scored[] {
    const weighted = this.similarOf(this.rankingParts, movieId, n);
    return weighted.length > 0 ? weighted : this.similarOf(this.equalParts, movieId, n);
  }

  private similarOf(parts: Part[], movieId: number, n: number): Scored[] {
    const lists: { weight: number; scores: Map<number, number> }[] = [];
    const order = this.fuse(parts, 'rrf', n, (model, depth) => {
      const list = model.similar(movieId, depth);
      if (list.length > 0) lists.push({ weight: parts.find((p) => p.model === model)?.weight ?? 0, scores: new Map(list.map((s) => [s.movieId, s.score])) });
      return list;
    });
    const total = lists.reduce((sum, l) => sum + l.weight, 0);
    return order.map(({ movieId: id }) => {
      let sum = 0;
      for (const { weight, scores } of lists) sum += weight * clampUnit(scores.get(id) ?? 0);
      return { movieId: id, score: total > 0 ? clampUnit(sum / total) : 0 };
    });
  }

  knowsUser(userId: number): boolean {
    for (const model of this.components.values()) if (model.knowsUser(userId)) return true;
    return false;
  }

  knowsMovie(movieId: number): boolean {
    for (const model of this.components.values()) if (model.knowsMovie(movieId)) return true;
    return false;
  }

  private fuse(parts: Part[], fusion: Fusion, n: number, listOf: (model: Recommender, depth: number) => Scored[]): Scored[] {
    if (!(n >= 1)) return [];
    const { rrfK, depth } = this.weights.ranking;
    const fused = this.fused;
    fused.clear();
    for (const { model, weight } of parts) {
      const list = listOf(model, Math.max(50, depth * n));
      if (list.length === 0) continue;
      const top = list[0].score;
      const bottom = list[list.length - 1].score;
      for (let r = 0; r < list.length; r++) fused.add(list[r].movieId, weight * fusionTerm(fusion, rrfK, r, list[r].score, top, bottom));
    }
    const top = new TopN(Math.floor(n));
    fused.offerAll(top);
    return top.result();
  }

  /** Writes hybrid.json (the weights); returns the file names written. */
  save(dir: string): string[] {
    writeFileSync(join(dir, HYBRID_FILE), `${JSON.stringify({ format: 2, weights: this.weights }, null, 2)}\n`);
    return [HYBRID_FILE];
  }

  /** Reads the weights of a saved hybrid; the caller supplies the loaded components. */
  static loadWeights(dir: string): HybridWeights {
    const path = join(dir, HYBRID_FILE);
    let parsed: { format?: number; weights?: HybridWeights };
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as typeof parsed;
    } catch (err) {
      throw new CorruptArtefactError(`${path}: unreadable (${(err as Error).message})`);
    }
    const w = parsed.weights;
    const fusion = w?.ranking?.fusion;
    const meta = w?.rating?.meta;
    const badMeta = meta !== undefined && (!Array.isArray(meta) || meta.some((m) => (m.feature !== 'history' && m.feature !== 'movie') || typeof m.centre !== 'number' || typeof m.intercept !== 'number'));
    if ((parsed.format !== 1 && parsed.format !== 2) || w === undefined || typeof w.rating?.intercept !== 'number' || typeof w.ranking?.rrfK !== 'number' || (fusion !== undefined && fusion !== 'rrf' && fusion !== 'score') || badMeta) {
      throw new CorruptArtefactError(`${path}: not a hybrid weights file`);
    }
    return w;
  }
}

function clampUnit(x: number): number {
  return x > 0 ? (x < 1 ? x : 1) : 0;
}

/**
 * Sums of scores by movie id for one fusion: an open-addressing table kept between calls and
 * emptied through the entries it filled, so a request allocates nothing here.
 */
class ScoreTable {
  private ids = new Int32Array(1024);
  private sums = new Float64Array(1024);
  private used = new Uint8Array(1024);
  /** 32 − log2(size): the slot is the top bits of a multiplicative hash. */
  private shift = 22;
  private readonly filled: number[] = [];
  /** Ids that are not 32-bit integers (a component should not return them, but may). */
  private readonly odd = new Map<number, number>();

  add(id: number, value: number): void {
    if ((id | 0) !== id) {
      this.odd.set(id, (this.odd.get(id) ?? 0) + value);
      return;
    }
    if (2 * (this.filled.length + 1) > this.used.length) this.grow();
    const mask = this.used.length - 1;
    let at = Math.imul(id, 0x9e3779b1) >>> this.shift;
    while (this.used[at] !== 0 && this.ids[at] !== id) at = (at + 1) & mask;
    if (this.used[at] === 0) {
      this.used[at] = 1;
      this.ids[at] = id;
      this.sums[at] = 0;
      this.filled.push(at);
    }
    this.sums[at] += value;
  }

  offerAll(top: TopN): void {
    for (const at of this.filled) top.offer(this.ids[at], this.sums[at]);
    for (const [id, sum] of this.odd) top.offer(id, sum);
  }

  clear(): void {
    for (const at of this.filled) this.used[at] = 0;
    this.filled.length = 0;
    this.odd.clear();
  }

  private grow(): void {
    const entries = this.filled.map((at) => [this.ids[at], this.sums[at]] as const);
    const size = this.used.length * 2;
    this.ids = new Int32Array(size);
    this.sums = new Float64Array(size);
    this.used = new Uint8Array(size);
    this.shift--;
    this.filled.length = 0;
    for (const [id, sum] of entries) this.add(id, sum);
  }
}
