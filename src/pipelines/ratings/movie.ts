/** A movie of the catalogue, as MovieLens describes one. */
export interface Movie {
  movieId: number;
  title: string;
  /** Release year parsed from the title's "(YYYY)" suffix or the release date; null when absent. */
  year: number | null;
  /** Genre names from MOVIELENS_GENRES, or ['(no genres listed)']. */
  genres: string[];
}

/** The 19 genres of current MovieLens releases (ml-100k's "Children's" is read as "Children"). */
export const MOVIELENS_GENRES = [
  'Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama',
  'Fantasy', 'Film-Noir', 'Horror', 'IMAX', 'Musical', 'Mystery', 'Romance', 'Sci-Fi',
  'Thriller', 'War', 'Western',
] as const;

export const NO_GENRES = '(no genres listed)';
