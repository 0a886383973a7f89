// Published figures of the top-N protocol `evaluate --split stratified --k 10` follows, printed
// beside what was measured for reference: the Microsoft Recommenders MovieLens 100K benchmark
// (per-user stratified 75/25 split, the user's training movies removed, every held-out rating
// relevant, top 10). Another dataset (MovieLens-small here) and another run give other figures:
// these were published, not measured by streamrec.
import { formatTable } from '../../util/table.js';

export interface PublishedAnchor {
  model: string;
  precision: number;
  ndcg: number;
}

export const PUBLISHED_SOURCE = 'Microsoft Recommenders benchmark, MovieLens 100K, per-user stratified 75/25, top-10';

export const PUBLISHED_ANCHORS: readonly PublishedAnchor[] = [
  { model: 'most popular (by count)', precision: 0.225, ndcg: 0.253 },
  { model: 'ALS (explicit)', precision: 0.05, ndcg: 0.047 },
  { model: 'SAR', precision: 0.334, ndcg: 0.388 },
  { model: 'NCF', precision: 0.35, ndcg: 0.399 },
  { model: 'LightGCN', precision: 0.361, ndcg: 0.418 },
  { model: 'BPR', precision: 0.388, ndcg: 0.442 },
  { model: 'BiVAE', precision: 0.412, ndcg: 0.475 },
];

/** The anchors as a table under a title saying they are published, not measured. */
export function formatPublishedAnchors(): string {
  const rows = PUBLISHED_ANCHORS.map((a) => [a.model, a.precision.toFixed(3), a.ndcg.toFixed(3)]);
  return `published, not measured (${PUBLISHED_SOURCE}):\n${formatTable(['model', 'P@10', 'NDCG@10'], rows)}`;
}
