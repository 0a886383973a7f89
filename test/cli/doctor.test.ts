// `streamrec doctor` on a real data dir (generated ratings, processed, a trained model): clean, it
// exits 0; each planted fault — a corrupt model file, a lake file past its committed offset, an
// incompatible checkpoint, a stopped service, a taken port — is one PROBLEM line naming the fix,
// exit 1, and the fix it names clears it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openLog } from '../../src/log/open-log.js';
import { tcpProbe } from '../../src/cli/doctor/tcp-probe.js';
import { waitFor } from '../helpers/sse-client.js';
import { tempDir } from '../helpers/tmp.js';
import { BIN, doctor, doctorAsync, doctorJson, freePort, must, problems, cli } from './doctor-cli.js';

const HOUR_AGO = new Date(Date.now() - 3_600_000);

describe('streamrec doctor', () => {
  let dir: string;
  let dataDir: string;
  let port: number;
  let cleanup: () => void;

  before(async () => {
    ({ dir, cleanup } = tempDir('streamrec-doctor-'));
    dataDir = join(dir, 'data');
    port = await freePort();
    must(['generate', 'ratings', '--rate', 'max', '--count', '3000', '--seed', '4', '--data-dir', dataDir]);
    must(['process', 'ratings', '--exit-when-idle', '--idle-timeout', '300ms', '--data-dir', dataDir]);
    must(['dataset', 'synth', join(dir, 'synth'), '--users', '60', '--movies', '40', '--ratings', '1500', '--rank', '3', '--genome-tags', '4', '--data-dir', dataDir]);
    must(['train', '--models', 'als', '--iterations', '2', '--no-eval', '--data-dir', dataDir]);
  });
  after(() => cleanup());

  it('passes a clean data dir: exit 0, one line a check, and the same report as JSON', () => {
    const d = doctor(dataDir, port);
    assert.equal(d.code, 0, d.stdout);
    assert.deepEqual(problems(d), []);
    for (const name of ['data-dir', 'data-dir.space', 'log.integrity', 'log.topics', 'log.groups', 'pipeline.ratings.owner', 'pipeline.ratings.checkpoint', 'pipeline.ratings.watermark', 'pipeline.ratings.lag', 'lake.ratings/raw', 'lake.ratings/agg', 'model.als', 'port']) {
      assert.match(d.lines.get(name) ?? '', /^ok /, `${name}: ${d.lines.get(name) ?? 'missing'}`);
    }
    assert.match(d.lines.get('log.topics')!, /ratings 3,000/);
    assert.match(d.lines.get('pipeline.ratings.checkpoint')!, /compatible with this version; 3,000 events done/);
    assert.match(d.lines.get('pipeline.ratings.lag')!, /caught up with `ratings`; \d+ results in `metrics`/);
    assert.match(d.lines.get('model.als')!, /1 version verified/);
    assert.match(d.lines.get('port')!, /is free/);
    for (const name of ['service.postgresql', 'service.redis', 'service.log', 'pipeline.clicks', 'pipeline.commerce']) assert.match(d.lines.get(name) ?? '', /^skipped /, name);

    const json = doctorJson(dataDir, port);
    assert.equal(json.ok, true);
    assert.deepEqual(json.checks.map((c) => c.name), [...d.lines.keys()]);
  });

  it('names a corrupt model artefact and the command that replaces it', () => {
    const versionDir = join(dataDir, 'models', 'als', readdirSync(join(dataDir, 'models', 'als')).find((n) => n.startsWith('v'))!);
    const version = versionDir.split('/').at(-1)!;
    const artefact = join(versionDir, readdirSync(versionDir).find((n) => n.endsWith('.bin'))!);
    const original = readFileSync(artefact);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 5] ^= 0xff;
    writeFileSync(artefact, flipped);
    try {
      const d = doctor(dataDir, port);
      assert.equal(d.code, 1);
      assert.equal(problems(d).length, 1, problems(d).join('\n'));
      const line = d.lines.get(`model.als.${version}`) ?? '';
      assert.match(line, new RegExp(`^PROBLEM  model\\.als\\.${version}: als ${version} \\(latest\\) is damaged: .*als\\.bin: checksum mismatch`));
      assert.match(line, new RegExp(`— fix: \`streamrec models rm als ${version} --force\`.*\`streamrec train --models als\``));
      const check = doctorJson(dataDir, port).checks.find((c) => c.name === `model.als.${version}`);
      assert.equal(check?.status, 'problem');
      assert.match(check.fix ?? '', /streamrec models rm als/);
    } finally {
      writeFileSync(artefact, original);
    }
    assert.equal(doctor(dataDir, port).code, 0);
  });

  it('names the staging directory a crashed training left; the next train removes it', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a pid that has exited
    const host = hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63) || 'host';
    const staging = join(dataDir, 'models', 'als', `.staging-v20260101T000000000Z-dead.${host}.${dead}`);
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'als.bin'), 'half written');
    const d = doctor(dataDir, port);
    assert.equal(d.code, 0, 'a warning, not a problem');
    assert.match(d.lines.get('models.staging') ?? '', new RegExp(`^warn +models\\.staging: 1 directory left by a training or removal that did not finish \\(${staging.replace(/[.]/g, '\\.')}; oldest .*\\): disk space only, never served — fix: the next \`streamrec train\` removes it`));
    must(['train', '--models', 'als', '--iterations', '2', '--no-eval', '--force', '--data-dir', dataDir]);
    assert.equal(existsSync(staging), false);
    const after = doctor(dataDir, port);
    assert.equal(after.lines.has('models.staging'), false);
    assert.match(after.lines.get('model.als') ?? '', /^ok +model\.als: 2 versions verified/);
  });

  it('finds a lake file past its committed offset and a stale temporary file (the process it names removes both), committed files not renamed, and damaged files', async () => {
    const raw = join(dataDir, 'lake', 'ratings', 'raw');
    const hourDir = join(raw, readdirSync(raw)[0]!);
    const partition = join(hourDir, readdirSync(hourDir)[0]!);
    const source = readdirSync(partition).find((n) => n.startsWith('part-p0-'))!;
    const past = join(partition, 'part-p0-o999999.parquet');
    const temp = join(partition, 'part-p1-o5.parquet.tmp');
    copyFileSync(join(partition, source), past);
    writeFileSync(temp, 'half a flush');
    utimesSync(past, HOUR_AGO, HOUR_AGO); // a crash an hour ago, not a flush in progress
    utimesSync(temp, HOUR_AGO, HOUR_AGO);

    const d = doctor(dataDir, port);
    assert.equal(d.code, 1);
    assert.equal(problems(d).length, 1, problems(d).join('\n'));
    const line = d.lines.get('lake.ratings/raw.commit') ?? '';
    assert.match(line, /^PROBLEM {2}lake\.ratings\/raw\.commit: 1 file past the offsets lake-ratings-raw committed \(.*part-p0-o999999\.parquet starts at offset 999999, committed \d+ for p0\)/);
    assert.match(line, /— fix: restart the ratings lake sinks \(`streamrec process ratings` or `streamrec up`\)/);
    assert.match(d.lines.get('lake.ratings/raw.temp') ?? '', /^warn +lake\.ratings\/raw\.temp: 1 temporary file of a flush that never committed \(.*part-p1-o5\.parquet\.tmp\).* — fix: restart the ratings lake sinks/);

    must(['process', 'ratings', '--exit-when-idle', '--idle-timeout', '300ms', '--data-dir', dataDir]);
    assert.equal(existsSync(past), false, 'the sink deleted the file past its commit');
    assert.equal(existsSync(temp), false, 'and the temporary file');
    const again = doctor(dataDir, port);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.lines.get('lake.ratings/raw') ?? '', /^ok +lake\.ratings\/raw: \d+ files .* all below the committed offsets/);

    // A flush committed with its list of files to rename, the renames not done (a crash between
    // the two): committed rows queries do not see, a problem, unlike a temp file no list names.
    const pendingTemp = join(partition, 'part-p0-o777777.parquet.w1.tmp');
    copyFileSync(join(partition, source), pendingTemp);
    utimesSync(pendingTemp, HOUR_AGO, HOUR_AGO);
    const relativeTemp = pendingTemp.slice(raw.length + 1);
    await putState('lake-sink', 'lake-ratings-raw', JSON.stringify({ files: [[relativeTemp, relativeTemp.replace(/\.w1\.tmp$/, '')]] }));
    try {
      const d1 = doctor(dataDir, port);
      assert.equal(d1.code, 1);
      assert.match(d1.lines.get('lake.ratings/raw.rename') ?? '', /^PROBLEM {2}lake\.ratings\/raw\.rename: 1 committed file not yet renamed into place \(.*part-p0-o777777\.parquet\.w1\.tmp\): their rows are committed but queries do not see them — fix: restart the ratings lake sinks .*: they finish the renames when they start/);
      assert.equal(d1.lines.has('lake.ratings/raw.temp'), false, 'a listed temp file is not a leftover');
    } finally {
      await putState('lake-sink', 'lake-ratings-raw', null);
      rmSync(pendingTemp);
    }

    // A committed file that is not whole Parquet (damaged on disk): queries fail on it.
    const damaged = join(partition, 'part-p0-o1.parquet');
    writeFileSync(damaged, 'PAR1 and then nothing');
    try {
      const d2 = doctor(dataDir, port);
      assert.equal(d2.code, 1);
      assert.match(d2.lines.get('lake.ratings/raw.files') ?? '', /^PROBLEM {2}lake\.ratings\/raw\.files: 1 file not whole Parquet \(.*part-p0-o1\.parquet\): `streamrec sql` and analytics fail on it — fix: move it out of .*, then rebuild the table/);
    } finally {
      rmSync(damaged);
    }
  });

  it('refuses an incompatible checkpoint as `process` does, naming the reset; a checkpoint of another --out-of-orderness is a warning naming the flag', async () => {
    const original = await state('pipeline-checkpoint', 'ratings');
    const checkpoint = JSON.parse(original!) as { fingerprint: Record<string, unknown> };
    try {
      await putState('pipeline-checkpoint', 'ratings', JSON.stringify({ ...checkpoint, fingerprint: { ...checkpoint.fingerprint, stateVersion: 99 } }));
      const d = doctor(dataDir, port);
      assert.equal(d.code, 1);
      assert.equal(problems(d).length, 1, problems(d).join('\n'));
      const line = d.lines.get('pipeline.ratings.checkpoint') ?? '';
      assert.match(line, /^PROBLEM {2}pipeline\.ratings\.checkpoint: .*stateVersion was 99, is now \d+/);
      assert.match(line, /— fix: `streamrec reset ratings` drops the checkpoint/);
      const processed = cli(['process', 'ratings', '--exit-when-idle', '--idle-timeout', '300ms', '--no-lake', '--data-dir', dataDir]);
      assert.equal(processed.code, 1, 'process refuses what doctor refused');
      assert.match(processed.stderr, /stateVersion was 99/);

      const lateness = checkpoint.fingerprint.allowedLatenessMs === undefined ? 'outOfOrdernessMs' : 'allowedLatenessMs';
      await putState('pipeline-checkpoint', 'ratings', JSON.stringify({ ...checkpoint, fingerprint: { ...checkpoint.fingerprint, [lateness]: 30_000 } }));
      const flagged = doctor(dataDir, port);
      assert.equal(flagged.code, 0, flagged.stdout);
      assert.match(flagged.lines.get('pipeline.ratings.checkpoint') ?? '', /^warn +pipeline\.ratings\.checkpoint: written with --out-of-orderness 30s .* — fix: run `streamrec process ratings --out-of-orderness 30s`/);
    } finally {
      await putState('pipeline-checkpoint', 'ratings', original);
    }
    assert.equal(doctor(dataDir, port).code, 0);
  });

  it('says who owns a pipeline from its lease, and warns of unprocessed events only when nobody processes them', async () => {
    const lease = { epoch: 3, owner: { id: 'owner-1', pid: process.pid, host: hostname(), since: '2026-01-02T03:04:05.000Z' } };
    try {
      await putState('leases', 'pipeline:ratings', JSON.stringify(lease));
      await putState('leases', 'pipeline:ratings#hb', JSON.stringify({ at: Date.now(), id: 'owner-1' }));
      const live = doctor(dataDir, port);
      assert.match(live.lines.get('pipeline.ratings.owner') ?? '', new RegExp(`^ok +pipeline\\.ratings\\.owner: owned by pid ${process.pid} on ${hostname()} since 2026-01-02T03:04:05.000Z \\(epoch 3\\), heartbeat \\d+(ms|s) ago`));

      const log = openLog({ dataDir });
      await log.producer().send('ratings', Array.from({ length: 10 }, (_, i) => ({ key: String(i), value: JSON.stringify({ userId: i + 1, movieId: 1, rating: 4, timestamp: Date.now() }) })));
      await log.close();
      assert.match(doctor(dataDir, port).lines.get('pipeline.ratings.lag') ?? '', /^ok +pipeline\.ratings\.lag: processing: 10 events of `ratings` to go/);

      await putState('leases', 'pipeline:ratings#hb', JSON.stringify({ at: Date.now() - 600_000, id: 'owner-1' }));
      const stopped = doctor(dataDir, port);
      assert.match(stopped.lines.get('pipeline.ratings.owner') ?? '', /^ok +pipeline\.ratings\.owner: not running: last owned by pid \d+ .* heartbeat 10m( \d+s)? ago; the next run takes over/);
      assert.match(stopped.lines.get('pipeline.ratings.lag') ?? '', /^warn +pipeline\.ratings\.lag: 10 events of `ratings` not processed yet, and no processor holds ratings; .* — fix: `streamrec process ratings` \(or `streamrec up`\)/);
      assert.equal(stopped.code, 0, 'a warning is not a problem');
    } finally {
      await putState('leases', 'pipeline:ratings', null);
      await putState('leases', 'pipeline:ratings#hb', null);
    }
    must(['process', 'ratings', '--exit-when-idle', '--idle-timeout', '300ms', '--data-dir', dataDir]);
    const after = doctor(dataDir, port);
    assert.match(after.lines.get('pipeline.ratings.owner') ?? '', /^ok +pipeline\.ratings\.owner: not running/);
    assert.match(after.lines.get('pipeline.ratings.lag') ?? '', /^ok .*caught up/);
  });

  it('names a stopped PostgreSQL or Redis and how to fix it; reachable ones are ok', async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const env = { STREAMREC_POSTGRES_URL: `postgres://streamrec:secret@127.0.0.1:${pgPort}/test`, STREAMREC_REDIS_URL: `redis://127.0.0.1:${redisPort}` };
    const d = doctor(dataDir, port, env);
    assert.equal(d.code, 1);
    assert.equal(problems(d).length, 2, problems(d).join('\n'));
    assert.match(d.lines.get('service.postgresql') ?? '', new RegExp(`^PROBLEM  service\\.postgresql: PostgreSQL at 127\\.0\\.0\\.1:${pgPort}/test \\(STREAMREC_POSTGRES_URL\\) does not answer: connection refused: nothing listens at 127\\.0\\.0\\.1:${pgPort} — fix: start PostgreSQL there, correct STREAMREC_POSTGRES_URL, or unset it`));
    assert.doesNotMatch(d.stdout, /secret/, 'no password in the report');
    assert.match(d.lines.get('service.redis') ?? '', new RegExp(`^PROBLEM  service\\.redis: Redis at 127\\.0\\.0\\.1:${redisPort} \\(STREAMREC_REDIS_URL\\) does not answer: connection refused: nothing listens at 127\\.0\\.0\\.1:${redisPort} — fix: start Redis there`));

    const running = { STREAMREC_POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432/test', STREAMREC_REDIS_URL: 'redis://127.0.0.1:6379' };
    const up = { pg: (await tcpProbe('127.0.0.1', 5432, 2000)) === null, redis: (await tcpProbe('127.0.0.1', 6379, 2000)) === null };
    const live = doctor(dataDir, port, running);
    if (up.pg) assert.match(live.lines.get('service.postgresql') ?? '', /^ok +service\.postgresql: PostgreSQL answers at 127\.0\.0\.1:5432\/test/);
    else console.log('# PostgreSQL is not running on 127.0.0.1:5432: its ok case is not checked');
    if (up.redis) assert.match(live.lines.get('service.redis') ?? '', /^ok +service\.redis: Redis answers at 127\.0\.0\.1:6379/);
    else console.log('# Redis is not running on 127.0.0.1:6379: its ok case is not checked');
  });

  it('recognises a streamrec server on the port (read beside it, undisturbed), and names another program holding it', async () => {
    const serverPort = await freePort();
    const server = spawn(process.execPath, [BIN, 'serve', '--port', String(serverPort), '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise((res) => server.on('exit', res));
    try {
      await waitFor(() => /dashboard and API at/.test(stderr), 60_000, 'the server');
      const d = doctor(dataDir, serverPort);
      assert.equal(d.code, 0, d.stdout);
      assert.match(d.lines.get('port') ?? '', new RegExp(`^ok +port: a streamrec server answers on 127\\.0\\.0\\.1:${serverPort}: ratings \\w+, lag \\d+; dashboard and SSE answer`));
      const health = await fetch(`http://127.0.0.1:${serverPort}/metrics/health`);
      assert.equal(health.status, 200, 'the server still answers');
    } finally {
      server.kill('SIGTERM');
      await exited;
    }

    const other = createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((res) => other.listen(0, '127.0.0.1', res));
    try {
      const otherPort = (other.address() as { port: number }).port;
      const d = await doctorAsync(dataDir, otherPort); // this process answers it: it must not block
      assert.equal(d.code, 1);
      assert.match(d.lines.get('port') ?? '', new RegExp(`^PROBLEM  port: 127\\.0\\.0\\.1:${otherPort} is in use by another program \\(GET /pipelines/ratings/health answered 404\\).* — fix: stop it .* or give streamrec another port: STREAMREC_PORT=${otherPort + 1}`));
    } finally {
      await new Promise((res) => other.close(res));
    }
  });

  async function state(namespace: string, key: string): Promise<string | null> {
    const log = openLog({ dataDir });
    try {
      const v = await log.getState(namespace, key);
      return v === null ? null : typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
    } finally {
      await log.close();
    }
  }

  async function putState(namespace: string, key: string, value: string | null): Promise<void> {
    const log = openLog({ dataDir });
    try {
      const tx = log.transaction();
      tx.putState(namespace, key, value);
      await tx.commit();
    } finally {
      await log.close();
    }
  }
});

