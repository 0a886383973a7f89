// The in-memory movie catalogue and the file-reading edge in front of the pure parsers.
import { readFile } from 'node:fs/promises';
import { CatalogueError, detectLayout, parseCatalogue } from './catalogue-parse.js';
import type { Movie } from './movie.js';

export class Catalogue {
  private constructor(private readonly byId: ReadonlyMap<number, Movie>) {}

  /** A catalogue of the given movies; a repeated id keeps its first movie. */
  static fromMovies(movies: Iterable<Movie>): Catalogue {
    const byId = new Map<number, Movie>();
    for (const movie of movies) {
      if (!byId.has(movie.movieId)) byId.set(movie.movieId, movie);
    }
    return new Catalogue(byId);
  }

  get(movieId: number): Movie | undefined {
    return this.byId.get(movieId);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Movie ids in ascending order. */
  ids(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }

  /** Movies in ascending id order. */
  all(): Movie[] {
    return this.ids().map((id) => this.byId.get(id) as Movie);
  }
}

/** Reads a movies.csv, movie.csv, movies.dat or u.item file, choosing the layout from its name. */
export async function loadCatalogue(path: string): Promise<Catalogue> {
  const layout = detectLayout(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CatalogueError(`movie catalogue not found: ${path}`, 'catalogue-not-found', err);
    throw new CatalogueError(`cannot read movie catalogue ${path}: ${(err as Error).message}`, 'catalogue-unreadable', err);
  }
  // The older .dat and u.item releases are Latin-1; the CSV releases are UTF-8.
  const text = bytes.toString(layout === 'movies.dat' || layout === 'u.item' ? 'latin1' : 'utf8');
  try {
    return Catalogue.fromMovies(parseCatalogue(text, layout));
  } catch (err) {
    throw new CatalogueError(`${(err as Error).message} (in ${path})`, 'catalogue-invalid', err);
  }
}
