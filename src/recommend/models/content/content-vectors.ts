// The content model's full movie vectors, which training reduces (content-reduce.ts). Every vector
// has unit length, so a cosine is a dot product. A vector has up to two blocks:
// - genome: the tag-genome relevances, standardised per tag over the genome's movies (so a tag
//   every movie is somewhat relevant to, like "good", does not dominate) and L2-normalised;
// - metadata: one-hot genres, a one-hot year bucket and TF-IDF of users' tags, each sub-block
//   normalised and given its share of the block's squared length (shares of absent sub-blocks
//   are dropped and the rest renormalised).
// A movie with both blocks gives `genomeShare` of its squared length to the genome, the rest to
// the metadata, so genome movies compare mostly by genome but still share a space (genres, years,
// tags) with movies the genome does not cover.
import type { Catalogue } from '../../../movies/catalogue.js';
import type { Genome, MovieTags } from '../../data/content-features.js';

export interface VectorParams {
  genomeShare: number;
  genreShare: number;
  yearShare: number;
  tagShare: number;
  /** Year bucket width, in years. */
  yearBucket: number;
  /** A user tag applied to fewer movies is dropped (it cannot make two movies similar). */
  minTagMovies: number;
}

export interface ContentVectors {
  /** Raw ids of the movies with a vector, ascending. */
  movieIds: Int32Array;
  genomeDim: number;
  /** Per movie: its row in `genome`, or -1. */
  genomeRow: Int32Array;
  /** Rows of genomeDim values, already scaled to the movie's share. */
  genome: Float32Array;
  /** Sparse metadata block per movie, feature indices ascending, values scaled to the share. */
  metaPtr: Int32Array;
  metaIdx: Int32Array;
  metaVal: Float32Array;
  /** "genre:Comedy", "year:1990", "tag:dark comedy". */
  featureNames: string[];
}

/** Builds the unit vectors of the catalogue's movies (and genome movies missing from it). */
export function buildContentVectors(catalogue: Catalogue, genome: Genome | undefined, tags: MovieTags | undefined, p: VectorParams): ContentVectors {
  const T = genome?.tags.length ?? 0;
  const universe = new Set<number>(catalogue.ids());
  if (genome) for (const id of genome.movieIds) universe.add(id);
  const candidates = Int32Array.from(universe).sort();

  const featureNames: string[] = [];
  const featureOf = new Map<string, number>();
  const feature = (name: string) => {
    let f = featureOf.get(name);
    if (f === undefined) {
      f = featureNames.length;
      featureOf.set(name, f);
      featureNames.push(name);
    }
    return f;
  };

  // Users' tags: TF-IDF with tf = 1 + ln(count), idf = ln(N / df), N = movies carrying any tag.
  const tagRows = new Map<number, { tag: number; count: number }[]>();
  if (tags) {
    for (let k = 0; k < tags.movieIds.length; k++) {
      const id = tags.movieIds[k];
      if (!universe.has(id) || tags.counts[k] <= 0) continue;
      let list = tagRows.get(id);
      if (list === undefined) tagRows.set(id, (list = []));
      list.push({ tag: tags.tagIds[k], count: tags.counts[k] });
    }
  }
  const df = new Map<number, number>();
  for (const list of tagRows.values()) for (const { tag } of list) df.set(tag, (df.get(tag) ?? 0) + 1);
  const tagged = tagRows.size;

  // Genome standardisation: mean and (population) standard deviation of each tag.
  const genomeIndex = new Map<number, number>();
  const mean = new Float64Array(T);
  const sd = new Float64Array(T);
  if (genome && genome.movieIds.length > 0) {
    genome.movieIds.forEach((id, g) => genomeIndex.set(id, g));
    const G = genome.movieIds.length;
    const rel = genome.relevance;
    for (let g = 0; g < G; g++) for (let t = 0; t < T; t++) mean[t] += rel[g * T + t];
    for (let t = 0; t < T; t++) mean[t] /= G;
    for (let g = 0; g < G; g++) {
      for (let t = 0; t < T; t++) {
        const d = rel[g * T + t] - mean[t];
        sd[t] += d * d;
      }
    }
    for (let t = 0; t < T; t++) sd[t] = Math.sqrt(sd[t] / G);
  }

  const movieIds: number[] = [];
  const genomeRow: number[] = [];
  const genomeRows: Float32Array[] = [];
  const metaPtr: number[] = [0];
  const metaIdx: number[] = [];
  const metaVal: number[] = [];
  const z = new Float64Array(T);
  for (const id of candidates) {
    // Metadata block.
    const entries = new Map<number, number>();
    let shares = 0;
    const movie = catalogue.get(id);
    const genres = movie ? movie.genres.filter((g) => g !== '(no genres listed)') : [];
    if (genres.length > 0 && p.genreShare > 0) {
      const w = Math.sqrt(p.genreShare / genres.length);
      for (const g of genres) entries.set(feature(`genre:${g}`), w);
      shares += p.genreShare;
    }
    if (movie?.year != null && p.yearShare > 0) {
      entries.set(feature(`year:${Math.floor(movie.year / p.yearBucket) * p.yearBucket}`), Math.sqrt(p.yearShare));
      shares += p.yearShare;
    }
    const list = tagRows.get(id);
    if (list !== undefined && p.tagShare > 0) {
      const weights: [number, number][] = [];
      let norm = 0;
      for (const { tag, count } of list) {
        const d = df.get(tag)!;
        if (d < p.minTagMovies) continue;
        const w = (1 + Math.log(count)) * Math.log(tagged / d);
        if (w <= 0) continue;
        weights.push([tag, w]);
        norm += w * w;
      }
      if (norm > 0) {
        const scale = Math.sqrt(p.tagShare / norm);
        for (const [tag, w] of weights) entries.set(feature(`tag:${tags!.tags[tag]}`), w * scale);
        shares += p.tagShare;
      }
    }
    // Genome block.
    let hasGenome = false;
    const g = genomeIndex.get(id);
    if (g !== undefined) {
      let norm = 0;
      for (let t = 0; t < T; t++) {
        z[t] = sd[t] > 0 ? (genome!.relevance[g * T + t] - mean[t]) / sd[t] : 0;
        norm += z[t] * z[t];
      }
      if (norm > 0) {
        hasGenome = true;
        const scale = (entries.size > 0 ? Math.sqrt(p.genomeShare) : 1) / Math.sqrt(norm);
        const row = new Float32Array(T);
        for (let t = 0; t < T; t++) row[t] = z[t] * scale;
        genomeRow.push(genomeRows.length);
        genomeRows.push(row);
      }
    }
    if (!hasGenome && entries.size === 0) continue;
    if (!hasGenome) genomeRow.push(-1);
    movieIds.push(id);
    const metaScale = (hasGenome ? Math.sqrt(1 - p.genomeShare) : 1) / Math.sqrt(shares || 1);
    for (const [f, w] of [...entries].sort((a, b) => a[0] - b[0])) {
      metaIdx.push(f);
      metaVal.push(w * metaScale);
    }
    metaPtr.push(metaIdx.length);
  }
  const genomeFlat = new Float32Array(genomeRows.length * T);
  genomeRows.forEach((row, r) => genomeFlat.set(row, r * T));
  return {
    movieIds: Int32Array.from(movieIds),
    genomeDim: T,
    genomeRow: Int32Array.from(genomeRow),
    genome: genomeFlat,
    metaPtr: Int32Array.from(metaPtr),
    metaIdx: Int32Array.from(metaIdx),
    metaVal: Float32Array.from(metaVal),
    featureNames,
  };
}
