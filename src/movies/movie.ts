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

/** Where a rating of a movie the catalogue lacks is counted, in per-genre figures. */
export const UNKNOWN_GENRE = '(unknown)';

/** The values a MovieLens rating takes: half stars from 0.5 to 5. */
export const RATING_VALUES = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5] as const;
