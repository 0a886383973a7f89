// The hybrid: a blend of the other models. Rating prediction is a linear blend (intercept plus a
// weight per component); top-N ranking is a weighted reciprocal-rank fusion of each component's
// own top list, because the components' ranking scores live on different scales (a predicted
// rating, a similarity sum, a cosine) while their ranks do not. Both sets of weights are fitted on a
// validation split (hybrid-fit.ts). The artefact holds only the weights and the component versions;
// the components are loaded from the registry beside it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptArtefactError } from './array-file.js';
import { clamp, TopN, type ModelName, type Recommender, type RecommendOptions, type Scored, type UserHistory } from './recommender.js';

export interface HybridWeights {
  rating: { intercept: number; weights: Partial<Record<ModelName, number>> };
  ranking: {
    weights: Partial<Record<ModelName, number>>;
    /** The reciprocal-rank constant: a component's item at rank r scores w / (rrfK + r). */
    rrfK: number;
    /** How deep each component's own list is read, as a multiple of n (at least 50). */
    depth: number;
  };
}

export const HYBRID_FILE = 'hybrid.json';

export class HybridModel implements Recommender {
  readonly name = 'hybrid' as const;
  readonly scale: { min: number; max: number };

  constructor(
    readonly components: ReadonlyMap<ModelName, Recommender>,
    readonly weights: HybridWeights,
  ) {
    const first = [...components.values()][0];
    if (first === undefined) throw new Error('a hybrid needs at least one component');
    this.scale = first.scale;
  }

  predict(user: UserHistory, movieId: number): number {
    let value = this.weights.rating.intercept;
    for (const [name, weight] of Object.entries(this.weights.rating.weights) as [ModelName, number][]) {
      const model = this.components.get(name);
      if (model !== undefined && weight !== 0) value += weight * model.predict(user, movieId);
    }
    return clamp(value, this.scale);
  }

  recommend(user: UserHistory, n: number, options?: RecommendOptions): Scored[] {
    return this.fuse(n, (model, depth) => model.recommend(user, depth, options));
  }

  /** Similar movies: the same fusion over the components' own similar lists. */
  similar(movieId: number, n: number): Scored[] {
    return this.fuse(n, (model, depth) => model.similar(movieId, depth));
  }

  knowsUser(userId: number): boolean {
    for (const model of this.components.values()) if (model.knowsUser(userId)) return true;
    return false;
  }

  knowsMovie(movieId: number): boolean {
    for (const model of this.components.values()) if (model.knowsMovie(movieId)) return true;
    return false;
  }

  private fuse(n: number, listOf: (model: Recommender, depth: number) => Scored[]): Scored[] {
    if (n <= 0) return [];
    const { weights, rrfK, depth } = this.weights.ranking;
    const scores = new Map<number, number>();
    for (const [name, weight] of Object.entries(weights) as [ModelName, number][]) {
      const model = this.components.get(name);
      if (model === undefined || !(weight > 0)) continue;
      const list = listOf(model, Math.max(50, depth * n));
      for (let r = 0; r < list.length; r++) {
        const id = list[r].movieId;
        scores.set(id, (scores.get(id) ?? 0) + weight / (rrfK + r + 1));
      }
    }
    const top = new TopN(n);
    for (const [id, score] of scores) top.offer(id, score);
    return top.result();
  }

  /** Writes hybrid.json (the weights); returns the file names written. */
  save(dir: string): string[] {
    writeFileSync(join(dir, HYBRID_FILE), `${JSON.stringify({ format: 1, weights: this.weights }, null, 2)}\n`);
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
    if (parsed.format !== 1 || w === undefined || typeof w.rating?.intercept !== 'number' || typeof w.ranking?.rrfK !== 'number') {
      throw new CorruptArtefactError(`${path}: not a hybrid weights file`);
    }
    return w;
  }
}
