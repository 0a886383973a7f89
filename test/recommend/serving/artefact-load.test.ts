// Reading model artefacts off the event loop: the async read gives what the sync one gives and
// refuses the same damage, and a model's own `load` can be fed the files it read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptArtefactError, readArrayFile, readArrayFileAsync, withArrayFiles, writeArrayFile } from '../../../src/recommend/models/array-file.js';
import { Catalogue } from '../../../src/movies/catalogue.js';
import { buildInteractions } from '../../../src/recommend/data/interactions.js';
import { PopularityModel } from '../../../src/recommend/models/popularity/popularity.js';
import { Random } from '../../../src/util/random.js';
import { tempDir } from '../../helpers/tmp.js';

describe('artefact reading', () => {
  it('reads a multi-chunk artefact asynchronously exactly as the sync read does', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const random = new Random(5);
      // 12 MB of floats: several hash chunks; odd lengths check the 8-byte alignment of what follows.
      const big = Float32Array.from({ length: 3_000_001 }, () => random.next());
      const ids = Int32Array.from({ length: 7 }, (_, i) => i * 3 - 5);
      const wide = Float64Array.from([Math.PI, -1e300, 0]);
      const bytes = Uint8Array.from([1, 2, 3]);
      const path = join(dir, 'x.bin');
      writeArrayFile(path, { kind: 'test', n: 3 }, { big, ids, wide, bytes });
      const async = await readArrayFileAsync<{ kind: string }>(path);
      const sync = readArrayFile<{ kind: string }>(path);
      assert.deepEqual(async.meta, { kind: 'test', n: 3 });
      assert.deepEqual(async.meta, sync.meta);
      for (const [name, expected] of Object.entries({ big, ids, wide, bytes })) {
        assert.equal(async.arrays[name]!.constructor, expected.constructor, name);
        assert.deepEqual(async.arrays[name], expected, name);
        assert.deepEqual(sync.arrays[name], expected, name);
      }
    } finally {
      cleanup();
    }
  });

  it('refuses an altered or truncated artefact, naming the file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'x.bin');
      writeArrayFile(path, {}, { a: Float64Array.from({ length: 1000 }, (_, i) => i) });
      const good = readFileSync(path);
      const altered = Buffer.from(good);
      altered[altered.length - 100] ^= 1;
      writeFileSync(path, altered);
      await assert.rejects(readArrayFileAsync(path), (err: Error) => err instanceof CorruptArtefactError && err.message === `${path}: checksum mismatch (the file was altered or damaged)`);
      writeFileSync(path, good);
      truncateSync(path, good.length - 8);
      await assert.rejects(readArrayFileAsync(path), (err: Error) => err instanceof CorruptArtefactError && /x\.bin: \d+ bytes, expected \d+ \(truncated/.test(err.message));
      writeFileSync(path, 'not an artefact at all');
      await assert.rejects(readArrayFileAsync(path), (err: Error) => err instanceof CorruptArtefactError && /x\.bin is not a streamrec model artefact/.test(err.message));
    } finally {
      cleanup();
    }
  });

  it('feeds files read beforehand to a model\'s synchronous load, and only inside the call', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      // Popularity over `movies` distinct movies, one 4-star rating each.
      const model = (movies: number) => {
        const ids = Int32Array.from({ length: movies }, (_, i) => i + 1);
        const columns = { users: new Int32Array(movies).fill(1), movies: ids, ratings: new Float32Array(movies).fill(4), timestamps: new Float64Array(movies) };
        return PopularityModel.train(buildInteractions(columns), Catalogue.fromMovies([]));
      };
      model(2).save(a);
      model(3).save(b);
      // The file of b, handed to a load of a's directory: the load takes what it is given.
      const file = await readArrayFileAsync(join(b, 'popularity.bin'));
      const loaded = withArrayFiles(new Map([[join(a, 'popularity.bin'), file]]), () => PopularityModel.load(a));
      assert.equal(loaded.top(5).length, 3, 'b\'s three movies');
      assert.equal(PopularityModel.load(a).top(5).length, 2, 'outside the call, a reads its own file');
    } finally {
      cleanup();
    }
  });
});
