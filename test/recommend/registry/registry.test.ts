import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CorruptArtefactError } from '../../../src/recommend/models/array-file.js';
import { headlineMetrics, ModelRegistry, RegistryError, STALE_LEFTOVER_MS, type NewModelMetadata } from '../../../src/recommend/registry/registry.js';
import { tempDir } from '../../helpers/tmp.js';

const META: NewModelMetadata = {
  params: { rank: 20, iterations: 10, lambda: 0.1 },
  dataFingerprint: 'fp-a',
  dataset: { name: 'ml-small', ratings: 1000, users: 10, movies: 50 },
  trainingSeconds: 1.5,
};

/** Stages one version with two artefact files (one in a sub-folder) and commits it. */
function commitVersion(registry: ModelRegistry, meta: NewModelMetadata = META, bytes = 1000) {
  const staged = registry.stage('als');
  writeFileSync(join(staged.dir, 'als.bin'), randomBytes(bytes));
  mkdirSync(join(staged.dir, 'extra'));
  writeFileSync(join(staged.dir, 'extra', 'notes.txt'), 'hello');
  return registry.commit(staged, meta);
}

describe('model registry', () => {
  it('commits a version: artefacts hashed, metadata.json written, latest pointing at it', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      assert.equal(registry.latest('als'), undefined);
      const meta = commitVersion(registry);
      assert.match(meta.version, /^v\d{8}T\d{9}Z-[0-9a-f]{4}$/);
      const vdir = join(dir, 'models', 'als', meta.version);
      assert.equal(registry.dir('als', meta.version), vdir);
      assert.deepEqual(readdirSync(vdir).sort(), ['als.bin', 'extra', 'metadata.json']);
      assert.deepEqual(JSON.parse(readFileSync(join(vdir, 'metadata.json'), 'utf8')), meta);
      const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
      assert.deepEqual(meta.artefacts, [
        { file: 'als.bin', bytes: 1000, sha256: sha(join(vdir, 'als.bin')) },
        { file: 'extra/notes.txt', bytes: 5, sha256: sha(join(vdir, 'extra', 'notes.txt')) },
      ]);
      assert.equal(meta.library.name, 'streamrec');
      assert.match(meta.library.version, /^\d+\.\d+\.\d+/);
      assert.equal(meta.source, 'streamrec');
      assert.deepEqual(meta.metrics, {});
      assert.equal(readlinkSync(join(dir, 'models', 'als', 'latest')), meta.version);
      assert.equal(registry.latestVersion('als'), meta.version);
      assert.equal(registry.latestPointer('als'), join(dir, 'models', 'als', 'latest'));
      assert.deepEqual(registry.latest('als'), meta);
      assert.deepEqual(readdirSync(join(dir, 'models', 'als')).sort(), ['latest', meta.version], 'no staging or temp names left');
      assert.deepEqual(registry.verify('als', meta.version), meta);
    } finally {
      cleanup();
    }
  });

  it('find: the same data and parameters (any key order) skip training; other data or parameters, or a lost artefact, do not', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      const meta = commitVersion(registry);
      assert.equal(registry.find('als', 'fp-a', { lambda: 0.1, iterations: 10, rank: 20 })?.version, meta.version);
      assert.equal(registry.find('als', 'fp-b', META.params), undefined);
      assert.equal(registry.find('als', 'fp-a', { ...META.params, rank: 30 }), undefined);
      assert.equal(registry.find('itemcf', 'fp-a', META.params), undefined);
      // --force: a second version of the same data and parameters; latest moves to it, find returns the newest.
      const second = commitVersion(registry);
      assert.notEqual(second.version, meta.version);
      assert.equal(registry.latestVersion('als'), second.version);
      assert.equal(registry.find('als', 'fp-a', META.params)?.version, second.version);
      assert.deepEqual(registry.list('als').map((e) => [e.version, e.latest]), [
        [second.version, true],
        [meta.version, false],
      ]);
      rmSync(join(registry.dir('als', second.version), 'als.bin'));
      assert.equal(registry.find('als', 'fp-a', META.params)?.version, meta.version, 'a version missing an artefact is not reused');
    } finally {
      cleanup();
    }
  });

  it('refuses to remove a version the latest hybrid blends unless forced, naming the hybrid', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      const v1 = commitVersion(registry).version;
      const v2 = commitVersion(registry).version;
      const hybridOf = (als: string) => {
        const staged = registry.stage('hybrid');
        writeFileSync(join(staged.dir, 'hybrid.json'), '{}');
        return registry.commit(staged, { ...META, components: { als } }).version;
      };
      const h1 = hybridOf(v1);
      // v1 is not the latest als, but the latest hybrid blends it.
      assert.throws(
        () => registry.remove('als', v1),
        (err: Error) => err instanceof RegistryError && err.message.includes(`als ${v1} is a component of the latest hybrid (hybrid ${h1})`) && /pass --force/.test(err.message),
      );
      assert.equal(registry.list('als').length, 2, 'nothing removed');
      hybridOf(v2); // the hybrid trained again: v1 is free to go
      registry.remove('als', v1);
      assert.deepEqual(registry.list('als').map((e) => e.version), [v2]);
      assert.throws(() => registry.remove('als', v2), /component of the latest hybrid/);
      registry.remove('als', v2, { force: true });
      assert.equal(registry.latestVersion('als'), undefined);
    } finally {
      cleanup();
    }
  });

  it('setLatest and remove: the latest only with force, then latest moves to the next newest, then disappears', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      const v1 = commitVersion(registry).version;
      const v2 = commitVersion(registry).version;
      const v3 = commitVersion(registry).version;
      registry.setLatest('als', v1);
      assert.equal(registry.latestVersion('als'), v1);
      registry.setLatest('als', v3);
      assert.throws(() => registry.setLatest('als', 'v-nope'), /no version v-nope of model als/);
      registry.remove('als', v2);
      assert.deepEqual(registry.list('als').map((e) => e.version), [v3, v1]);
      assert.throws(() => registry.remove('als', v3), (err: Error) => err instanceof RegistryError && /is the latest version; pass --force/.test(err.message));
      registry.remove('als', v3, { force: true });
      assert.equal(registry.latestVersion('als'), v1);
      registry.remove('als', v1, { force: true });
      assert.equal(registry.latestVersion('als'), undefined);
      assert.equal(registry.latest('als'), undefined);
      assert.deepEqual(readdirSync(join(dir, 'models', 'als')), [], 'no pointer, version or trash left');
      assert.throws(() => registry.remove('als', v1), /no version .* of model als/);
    } finally {
      cleanup();
    }
  });

  it('verify names a corrupt, truncated or missing artefact', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      const { version } = commitVersion(registry);
      const file = join(registry.dir('als', version), 'als.bin');
      const bytes = readFileSync(file);
      bytes[500] ^= 0xff;
      writeFileSync(file, bytes);
      assert.throws(() => registry.verify('als', version), (err: Error) => err instanceof CorruptArtefactError && err.message === `${file}: checksum mismatch (the file was altered or damaged)`);
      truncateSync(file, 10);
      assert.throws(() => registry.verify('als', version), new CorruptArtefactError(`${file}: 10 bytes, expected 1000`));
      rmSync(file);
      assert.throws(() => registry.verify('als', version), new CorruptArtefactError(`${file}: missing`));
    } finally {
      cleanup();
    }
  });

  it('lists a version with unreadable metadata as broken, and never reuses it', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      const good = commitVersion(registry).version;
      const bad = commitVersion(registry).version;
      writeFileSync(join(registry.dir('als', bad), 'metadata.json'), '{"model": "als", "vers');
      const entries = registry.list();
      assert.equal(entries.length, 2);
      assert.equal(entries[0].version, bad);
      assert.equal(entries[0].metadata, undefined);
      assert.match(entries[0].error!, /metadata\.json: not valid JSON/);
      assert.equal(entries[1].metadata?.version, good);
      assert.equal(registry.find('als', 'fp-a', META.params)?.version, good);
      assert.throws(() => registry.latest('als'), CorruptArtefactError, 'latest points at the broken one: an error, not undefined');
      registry.remove('als', bad, { force: true });
      assert.equal(registry.latestVersion('als'), good);
    } finally {
      cleanup();
    }
  });

  it('updateEvaluation rewrites metadata.json with the results under evaluations.<protocol>; the headline is the latest update', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      const { version } = commitVersion(registry, { ...META, metrics: { rmse: 0.9 } });
      assert.deepEqual(headlineMetrics(registry.metadata('als', version)), { rmse: 0.9, ndcg: undefined });
      registry.updateEvaluation('als', version, 'random-0.2-seed42', { rating: { rmse: 0.85 }, ranking: { ndcg: 0.3 } });
      registry.updateEvaluation('als', version, 'temporal', { rating: { rmse: 0.95 }, ranking: { ndcg: 0.1 } });
      registry.updateEvaluation('als', version, 'random-0.2-seed42', { rating: { rmse: 0.84 }, ranking: { ndcg: 0.31 } });
      const meta = registry.metadata('als', version);
      // The layout changed (s17): evaluations sit under their own key, `metrics` keeps the flat train-time figures.
      assert.deepEqual(meta.metrics, { rmse: 0.9 });
      assert.deepEqual(Object.keys(meta.evaluations ?? {}), ['temporal', 'random-0.2-seed42']);
      assert.deepEqual(headlineMetrics(meta), { rmse: 0.84, ndcg: 0.31 });
      assert.deepEqual(registry.verify('als', version).metrics, meta.metrics, 'artefacts still verify');
      assert.deepEqual(readdirSync(registry.dir('als', version)).sort(), ['als.bin', 'extra', 'metadata.json']);
    } finally {
      cleanup();
    }
  });

  it('refuses what it cannot register, naming it', () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(dir);
      assert.throws(() => registry.stage('svd' as 'als'), /unknown model "svd": expected one of als, itemcf, content, ease, ials, rp3beta, hybrid, popularity/);
      const empty = registry.stage('als');
      assert.throws(() => registry.commit(empty, META), /nothing to commit/);
      writeFileSync(join(empty.dir, 'metadata.json'), '{}');
      assert.throws(() => registry.commit(empty, META), /metadata\.json: the name is reserved/);
      assert.throws(() => registry.commit({ ...empty, dir: dir }, META), /not a staged version of this registry/);
      assert.throws(() => registry.dir('als', '../../etc'), /bad version/);
      assert.deepEqual(registry.list(), [], 'staging directories are not versions');
    } finally {
      cleanup();
    }
  });

  it('removes what a crashed training left at the next stage, and leaves a training still running alone', async () => {
    const { dir, cleanup } = tempDir();
    const registryUrl = pathToFileURL(join(import.meta.dirname, '../../../src/recommend/registry/registry.js')).href;
    // A training in another process: stages a version, writes an artefact, says where, then
    // either dies at once (kill -9) or waits for a line on stdin and commits.
    const trainer = (crash: boolean) => {
      const code = `
        const { ModelRegistry } = await import(${JSON.stringify(registryUrl)});
        const { writeFileSync } = await import('node:fs');
        const registry = new ModelRegistry(${JSON.stringify(dir)});
        const staged = registry.stage('als');
        writeFileSync(staged.dir + '/als.bin', 'weights');
        process.stdout.write(JSON.stringify(staged) + '\\n');
        if (${crash}) process.kill(process.pid, 'SIGKILL');
        process.stdin.once('data', () => { process.stdout.write(registry.commit(staged, ${JSON.stringify(META)}).version + '\\n'); process.exit(0); });
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines: string[] = [];
      let buffered = '';
      child.stdout.on('data', (c: Buffer) => {
        buffered += c.toString();
        for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
          lines.push(buffered.slice(0, i));
          buffered = buffered.slice(i + 1);
        }
      });
      const exited = new Promise<void>((res) => child.on('exit', () => res()));
      const line = async (n: number) => {
        const deadline = Date.now() + 30_000;
        while (lines.length < n) {
          if (Date.now() > deadline) throw new Error('the trainer did not answer');
          await new Promise((r) => setTimeout(r, 10));
        }
        return lines[n - 1]!;
      };
      return { child, exited, line };
    };
    const running = trainer(false);
    try {
      const crashed = trainer(true);
      const crashedDir = (JSON.parse(await crashed.line(1)) as { dir: string }).dir;
      await crashed.exited;
      const runningStaged = JSON.parse(await running.line(1)) as { dir: string };
      const modelDir = join(dir, 'models', 'als');
      // Leftovers whose writer cannot be asked: from another host, or of the old unnamed form.
      const old = (Date.now() - STALE_LEFTOVER_MS - 60_000) / 1000;
      const aged = (name: string) => {
        mkdirSync(join(modelDir, name));
        utimesSync(join(modelDir, name), old, old);
        return join(modelDir, name);
      };
      const oldForeign = aged('.staging-v20250101T000000000Z-aaaa.otherhost.4242');
      const oldUnnamed = aged('.staging-v20250101T000000000Z-bbbb');
      const oldTrash = aged('.trash-v20250101T000000000Z-cccc-0a1b2c');
      mkdirSync(join(modelDir, '.staging-v20250101T000000000Z-dddd.otherhost.4242'));
      const freshForeign = join(modelDir, '.staging-v20250101T000000000Z-dddd.otherhost.4242');

      const registry = new ModelRegistry(dir);
      const mine = registry.stage('als');
      for (const gone of [crashedDir, oldForeign, oldUnnamed, oldTrash]) assert.equal(existsSync(gone), false, `${gone} removed`);
      for (const kept of [runningStaged.dir, freshForeign, mine.dir]) assert.equal(existsSync(kept), true, `${kept} kept`);

      // The running training commits after the cleanup, as if nothing happened.
      running.child.stdin.write('commit\n');
      const version = await running.line(2);
      await running.exited;
      assert.equal(registry.latestVersion('als'), version);
      assert.equal(registry.verify('als', version).version, version);
      writeFileSync(join(mine.dir, 'als.bin'), 'mine');
      registry.commit(mine, META);
      assert.deepEqual(registry.list('als').map((e) => e.version).sort(), [version, mine.version].sort());
    } finally {
      running.child.kill('SIGKILL');
      await running.exited;
      cleanup();
    }
  });

  it('concurrent readers always see a complete latest version while new versions are committed', async () => {
    const { dir, cleanup } = tempDir();
    const registryUrl = pathToFileURL(join(import.meta.dirname, '../../../src/recommend/registry/registry.js')).href;
    // The reader runs on another thread, so it really interleaves with the commits.
    const reader = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      const { join } = require('node:path');
      import(workerData.url).then(({ ModelRegistry }) => {
        const registry = new ModelRegistry(workerData.dir);
        const stop = new Int32Array(workerData.stop);
        let reads = 0;
        const errors = [];
        while (Atomics.load(stop, 0) === 0) {
          const version = registry.latestVersion('als');
          if (version === undefined) { errors.push('no latest pointer'); continue; }
          try {
            registry.verify('als', version);
            JSON.parse(readFileSync(join(registry.latestPointer('als'), 'metadata.json'), 'utf8'));
            reads++;
          } catch (err) { errors.push(String(err)); }
        }
        parentPort.postMessage({ reads, errors: errors.slice(0, 5) });
      });`;
    try {
      const registry = new ModelRegistry(dir);
      commitVersion(registry, META, 200_000);
      const stop = new SharedArrayBuffer(4);
      const worker = new Worker(reader, { eval: true, workerData: { url: registryUrl, dir, stop } });
      const done = new Promise<{ reads: number; errors: string[] }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      for (let i = 0; i < 30; i++) commitVersion(registry, META, 200_000);
      await new Promise((r) => setTimeout(r, 50));
      Atomics.store(new Int32Array(stop), 0, 1);
      const { reads, errors } = await done;
      assert.deepEqual(errors, []);
      assert.ok(reads > 0, 'the reader read something');
      assert.equal(registry.list('als').length, 31);
      assert.ok(!existsSync(join(dir, 'models', 'als', 'metadata.json')));
    } finally {
      cleanup();
    }
  });
});
