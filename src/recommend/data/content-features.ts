// What the content-based model reads besides the catalogue: the tag genome (a dense relevance
// score per movie and tag, from genome-scores.csv) and users' free-text tags (tags.csv), both
// stored per dataset as array files (see array-file.ts): genome.bin and tags.bin.

/** The tag genome: `relevance[m * tags.length + t]` is movie `movieIds[m]`'s relevance (0..1) to tag t. */
export interface Genome {
  tags: string[];
  /** Raw movie ids, ascending. */
  movieIds: Int32Array;
  relevance: Float32Array;
}

/** Users' tags aggregated per (movie, tag): one row each, sorted by movie id then tag id. */
export interface MovieTags {
  /** Tag texts, lower-cased and trimmed; tagIds index this. */
  tags: string[];
  movieIds: Int32Array;
  tagIds: Int32Array;
  /** How many times users applied the tag to the movie. */
  counts: Int32Array;
}
