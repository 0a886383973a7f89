// How fresh each served model is: its age, and how many streamed ratings arrived after the newest
// rating of the data it was trained on. A pure function of the set's metadata, the newest rating
// time known for each training data, and a count of streamed ratings after a time.
import type { ModelMetadata } from '../registry/registry.js';
import type { ModelFreshness } from './page-contract.js';

export interface FreshnessInput {
  /** The served models' versions (the popularity fallback included when registered). */
  versions: Readonly<Record<string, string | undefined>>;
  metadata: Readonly<Record<string, ModelMetadata | undefined>>;
  /** Data fingerprint → the newest rating time (epoch ms) of those data, for every data the server has served. */
  newestRating: ReadonlyMap<string, number>;
  /** How many streamed ratings have an event time after `ms`. */
  streamedAfter(ms: number): number;
  now: number;
}

/** Each model's age and the ratings it has not seen, by model name. */
export function modelFreshness(input: FreshnessInput): Record<string, ModelFreshness> {
  const out: Record<string, ModelFreshness> = {};
  // Models trained on the same data share the count (a scan of the streamed ratings each).
  const counted = new Map<number, number>();
  const after = (ms: number): number => {
    let n = counted.get(ms);
    if (n === undefined) counted.set(ms, (n = input.streamedAfter(ms)));
    return n;
  };
  for (const [model, version] of Object.entries(input.versions)) {
    const meta = input.metadata[model];
    if (version === undefined || meta === undefined || meta.version !== version) continue;
    const trainedAt = Date.parse(meta.createdAt);
    const newest = input.newestRating.get(meta.dataFingerprint);
    out[model] = {
      version,
      trained_at: meta.createdAt,
      age_seconds: Number.isFinite(trainedAt) ? Math.max(0, Math.round((input.now - trainedAt) / 1000)) : 0,
      dataset: meta.dataset.name,
      ratings_not_seen: newest === undefined ? null : after(newest),
    };
  }
  return out;
}

/** The most ratings any served model has not seen (null when none is known): what `--retrain-after` compares. */
export function mostUnseen(freshness: Readonly<Record<string, ModelFreshness>>): number | null {
  let most: number | null = null;
  for (const f of Object.values(freshness)) if (f.ratings_not_seen !== null) most = Math.max(most ?? 0, f.ratings_not_seen);
  return most;
}
