// The versioned model registry: `<data-dir>/models/<model>/<version>/` holds a model's artefacts
// and `metadata.json`; `<model>/latest` is a symlink to the version in service.
//
// Atomicity: a version is written in `<model>/.staging-<version>/`, fsynced, and renamed into
// place in one step, so a version directory is complete whenever it exists under its name. The
// `latest` symlink is replaced by renaming a new link over it, so a reader sees the old or the
// new version, never none. A watcher can poll `latestVersion(model)` (one readlink) or watch
// `latestPointer(model)`.
//
// Leftovers of a crash (a staging dir a killed training never committed, a removed version's
// trash) are deleted by the next `stage`: a staging dir's name carries its writer's host and pid,
// and one whose writer still runs on this host is left alone (a concurrent training).
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fsyncPath } from '../../util/fsync.js';
import { CorruptArtefactError } from '../models/array-file.js';
import type { DatasetInfo } from '../data/dataset.js';
import { BLENDING_MODELS, MODEL_NAMES, type ModelName } from '../models/model-kinds.js';
import { StreamrecError } from '../../util/errors.js';

export const METADATA_FILE = 'metadata.json';
const LATEST = 'latest';
const STAGING_PREFIX = '.staging-';
const TRASH_PREFIX = '.trash-';
/** A staging or trash dir whose writer cannot be checked (another host, or no pid in its name) is a leftover past this age. */
export const STALE_LEFTOVER_MS = 24 * 3_600_000;

export interface ArtefactInfo {
  /** Path relative to the version directory, '/'-separated. */
  file: string;
  bytes: number;
  sha256: string;
}

/** What a model's metadata records of the dataset it was trained on (a part of an imported dataset's info). */
export type DatasetSummary = Pick<DatasetInfo, 'name' | 'ratings' | 'users' | 'movies'>;

export interface ModelMetadata {
  model: ModelName;
  version: string;
  /** ISO-8601 time of the commit. */
  createdAt: string;
  params: Record<string, unknown>;
  dataFingerprint: string;
  dataset: DatasetSummary;
  /**
   * The held-out figures `streamrec train` computes, flat: `{ rmse, mae, mse, r2 }` (the seed's
   * `jq '.metrics'`); `{}` when trained with --no-eval, imported, or for a model that predicts no
   * rating. How they were measured is in `heldOut`.
   */
  metrics: Record<string, unknown>;
  /** How `metrics` was measured (split, seed, row counts). */
  heldOut?: HeldOutInfo;
  /** `streamrec evaluate` results by protocol (e.g. "random 80/20 split (seed 42), top-10"), latest last. */
  evaluations?: Record<string, unknown>;
  /** Figures of the fit itself (e.g. the hybrid's validation of its weights). */
  training?: Record<string, unknown>;
  trainingSeconds: number;
  library: { name: 'streamrec'; version: string };
  artefacts: ArtefactInfo[];
  /** Who trained it: 'streamrec' or 'spark'. */
  source?: string;
  /** A hybrid's components: model → version. */
  components?: Record<string, string>;
}

/** How a version's flat `metrics` were measured. */
export interface HeldOutInfo {
  /** e.g. "random 80/20 split (seed 42)". */
  split: string;
  seed: number;
  testFraction: number;
  trainRatings: number;
  testRatings: number;
  /** What the stored model was trained on: all the ratings; the metrics come from a second fit of the same kind and parameters on the training side. */
  storedModelTrainedOn: 'all';
}

/** What the trainer supplies at commit; the registry adds the rest. */
export interface NewModelMetadata {
  params: Record<string, unknown>;
  dataFingerprint: string;
  dataset: DatasetSummary;
  trainingSeconds: number;
  metrics?: Record<string, unknown>;
  heldOut?: HeldOutInfo;
  evaluations?: Record<string, unknown>;
  training?: Record<string, unknown>;
  source?: string;
  components?: Record<string, string>;
}

export interface StagedVersion {
  model: ModelName;
  version: string;
  /** Write the artefacts here, then `commit`. */
  dir: string;
}

/** One version in `list()`: its metadata, or why it could not be read (a broken entry). */
export interface RegistryEntry {
  model: ModelName;
  version: string;
  dir: string;
  latest: boolean;
  metadata?: ModelMetadata;
  error?: string;
}

/** A request the registry refuses (unknown model or version, removing the latest …): the CLI shows it as one line. */
export class RegistryError extends StreamrecError {
  override name = 'RegistryError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'registry', cause: options.cause });
  }
}

export class ModelRegistry {
  /** The data dir the registry belongs to (its datasets are beside it). */
  readonly dataDir: string;
  /** `<dataDir>/models` */
  readonly root: string;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
    this.root = join(this.dataDir, 'models');
  }

  /** Every version (of one model, or of all), newest first; unreadable metadata gives an entry with `error`. */
  list(model?: ModelName): RegistryEntry[] {
    const models = model === undefined ? MODEL_NAMES : [checkModel(model)];
    const out: RegistryEntry[] = [];
    for (const m of models) {
      const latest = this.latestVersion(m);
      for (const version of this.versions(m)) {
        const dir = this.dir(m, version);
        const entry: RegistryEntry = { model: m, version, dir, latest: version === latest };
        try {
          entry.metadata = this.metadata(m, version);
        } catch (err) {
          entry.error = (err as Error).message;
        }
        out.push(entry);
      }
    }
    return out;
  }

  /** The metadata of the latest version, or undefined when there is no pointer. */
  latest(model: ModelName): ModelMetadata | undefined {
    const version = this.latestVersion(model);
    return version === undefined ? undefined : this.metadata(model, version);
  }

  /** The version `latest` points to (one readlink), or undefined. */
  latestVersion(model: ModelName): string | undefined {
    const pointer = this.latestPointer(model);
    try {
      return basename(readlinkSync(pointer));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      // A plain file holding the version name: the fallback where symlinks are not allowed.
      if (code === 'EINVAL') return readFileSync(pointer, 'utf8').trim() || undefined;
      throw err;
    }
  }

  /** The path of the `latest` pointer, for a file watcher. */
  latestPointer(model: ModelName): string {
    return join(this.root, checkModel(model), LATEST);
  }

  dir(model: ModelName, version: string): string {
    return join(this.root, checkModel(model), checkVersion(version));
  }

  /** A version's metadata.json, checked for shape; throws naming the file when unreadable. */
  metadata(model: ModelName, version: string): ModelMetadata {
    const path = join(this.dir(model, version), METADATA_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!existsSync(this.dir(model, version))) throw new RegistryError(`no version ${version} of model ${model}`);
        throw new CorruptArtefactError(`${path}: missing`);
      }
      throw err;
    }
    let meta: ModelMetadata;
    try {
      meta = JSON.parse(text) as ModelMetadata;
    } catch {
      throw new CorruptArtefactError(`${path}: not valid JSON`);
    }
    if (typeof meta !== 'object' || meta === null || !Array.isArray(meta.artefacts) || typeof meta.params !== 'object') {
      throw new CorruptArtefactError(`${path}: not a model metadata file`);
    }
    if (meta.model !== model || meta.version !== version) {
      throw new CorruptArtefactError(`${path}: describes ${String(meta.model)} ${String(meta.version)}, not ${model} ${version}`);
    }
    return upgradeLayout(meta);
  }

  /**
   * The newest version trained on the same data with the same parameters whose artefacts are all
   * present at their recorded sizes (a cheap check; `verify` re-hashes). Parameters compare as
   * JSON with sorted keys.
   */
  find(model: ModelName, dataFingerprint: string, params: Record<string, unknown>): ModelMetadata | undefined {
    const wanted = canonicalJson(params);
    for (const entry of this.list(model)) {
      const meta = entry.metadata;
      if (meta === undefined || meta.dataFingerprint !== dataFingerprint || canonicalJson(meta.params) !== wanted) continue;
      if (meta.artefacts.every((a) => sizeOf(join(entry.dir, a.file)) === a.bytes)) return meta;
    }
    return undefined;
  }

  /**
   * A fresh staging directory for a new version of `model` (a model's `name`: checked against the
   * kinds). Removes the leftovers of crashed trainings first (`removeLeftovers`).
   */
  stage(name: string): StagedVersion {
    const model = checkModel(name);
    this.removeLeftovers();
    const version = newVersionId();
    const dir = this.stagingDir(model, version);
    mkdirSync(dir, { recursive: true });
    return { model, version, dir };
  }

  /** `<model>/.staging-<version>.<host>.<pid>`: who writes it, so a later cleanup can tell a crash from a training still running. */
  private stagingDir(model: ModelName, version: string): string {
    return join(this.root, model, `${STAGING_PREFIX}${checkVersion(version)}.${hostTag()}.${process.pid}`);
  }

  /**
   * What crashed runs left in every model's directory: staging dirs whose writer is gone (a pid no
   * longer running on this host; from another host, or of the old unnamed form, once older than
   * STALE_LEFTOVER_MS) and trash dirs older than a minute (a live `remove` deletes its own within
   * milliseconds). Read-only (`streamrec doctor` reports them); `removeLeftovers` deletes them.
   */
  leftovers(now = Date.now()): string[] {
    const found: string[] = [];
    for (const model of MODEL_NAMES) {
      const modelDir = join(this.root, model);
      let names: string[];
      try {
        names = readdirSync(modelDir);
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(modelDir, name);
        const age = now - mtimeOf(path);
        const stale = name.startsWith(STAGING_PREFIX) ? stagingIsStale(name, age) : name.startsWith(TRASH_PREFIX) ? age > 60_000 : false;
        if (stale) found.push(path);
      }
    }
    return found;
  }

  /** Deletes the `leftovers` of crashed runs; returns the paths removed. */
  removeLeftovers(now = Date.now()): string[] {
    const removed = this.leftovers(now);
    for (const path of removed) rmSync(path, { recursive: true, force: true });
    return removed;
  }

  /**
   * Records every file in the staged directory (size, SHA-256; fsynced), writes metadata.json,
   * renames the directory into place and, unless `setLatest: false`, points `latest` at it.
   */
  commit(staged: StagedVersion, meta: NewModelMetadata, options: { setLatest?: boolean } = {}): ModelMetadata {
    const { model, version, dir } = staged;
    checkModel(model);
    if (dir !== this.stagingDir(model, version) || !existsSync(dir)) {
      throw new RegistryError(`not a staged version of this registry: ${dir}`);
    }
    const files = listFiles(dir);
    if (files.includes(METADATA_FILE)) throw new RegistryError(`${join(dir, METADATA_FILE)}: the name is reserved for the registry`);
    if (files.length === 0) throw new RegistryError(`nothing to commit: ${dir} is empty`);
    const artefacts = files.map((file) => hashFile(dir, file));
    const metadata: ModelMetadata = {
      model,
      version,
      createdAt: new Date().toISOString(),
      params: meta.params,
      dataFingerprint: meta.dataFingerprint,
      dataset: meta.dataset,
      metrics: meta.metrics ?? {},
      ...(meta.heldOut !== undefined ? { heldOut: meta.heldOut } : {}),
      ...(meta.evaluations !== undefined ? { evaluations: meta.evaluations } : {}),
      ...(meta.training !== undefined ? { training: meta.training } : {}),
      trainingSeconds: meta.trainingSeconds,
      library: { name: 'streamrec', version: libraryVersion() },
      artefacts,
      source: meta.source ?? 'streamrec',
    };
    if (meta.components !== undefined) metadata.components = meta.components;
    writeFileDurably(join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    fsyncPath(dir);
    renameSync(dir, this.dir(model, version));
    fsyncPath(join(this.root, model));
    if (options.setLatest !== false) this.switchLatest(model, version);
    return metadata;
  }

  /** Points `latest` at an existing, readable version. */
  setLatest(model: ModelName, version: string): void {
    this.metadata(model, version);
    this.switchLatest(model, version);
  }

  /**
   * Removes a version. The latest one, or one the latest hybrid blends, only with `force`: `latest`
   * then moves to the newest other readable version, or is removed when none is left (and the
   * hybrid cannot be loaded until it is trained again). The directory is renamed away before it is
   * deleted, so no reader finds a half-deleted version under its name.
   */
  remove(model: ModelName, version: string, options: { force?: boolean } = {}): void {
    const dir = this.dir(model, version);
    if (!existsSync(dir)) throw new RegistryError(`no version ${version} of model ${model}`);
    const blender = this.latestBlendingUse(model, version);
    if (blender !== undefined && options.force !== true) {
      throw new RegistryError(
        `${model} ${version} is a component of the latest ${blender.model} (${blender.model} ${blender.version}), which could not be loaded without it; ` +
          `pass --force to remove it anyway, or train the ${blender.model} again first (streamrec train --models ${blender.model})`,
      );
    }
    if (this.latestVersion(model) === version) {
      if (options.force !== true) throw new RegistryError(`${model} ${version} is the latest version; pass --force to remove it anyway`);
      const next = this.list(model).find((e) => e.version !== version && e.metadata !== undefined);
      if (next !== undefined) this.switchLatest(model, next.version);
      else unlinkSync(this.latestPointer(model));
    }
    const trash = join(this.root, model, `${TRASH_PREFIX}${version}-${randomBytes(3).toString('hex')}`);
    renameSync(dir, trash);
    fsyncPath(join(this.root, model));
    rmSync(trash, { recursive: true, force: true });
  }

  /** The latest version of a blending kind that blends this version; none when none does (or it is unreadable: nothing to protect then). */
  private latestBlendingUse(model: ModelName, version: string): ModelMetadata | undefined {
    for (const blender of BLENDING_MODELS) {
      if (blender === model) continue;
      try {
        const latest = this.latest(blender);
        if (latest?.components?.[model] === version) return latest;
      } catch {
        // No readable latest version of it: nothing it blends to protect.
      }
    }
    return undefined;
  }

  /** Re-hashes a version's artefacts: a CorruptArtefactError names the first missing, resized or altered file. */
  verify(model: ModelName, version: string): ModelMetadata {
    const meta = this.metadata(model, version);
    const dir = this.dir(model, version);
    for (const a of meta.artefacts) {
      const path = resolve(dir, a.file);
      if (!path.startsWith(dir + sep)) throw new CorruptArtefactError(`${join(dir, METADATA_FILE)}: artefact path "${a.file}" leaves the version directory`);
      const bytes = sizeOf(path);
      if (bytes < 0) throw new CorruptArtefactError(`${path}: missing`);
      if (bytes !== a.bytes) throw new CorruptArtefactError(`${path}: ${bytes} bytes, expected ${a.bytes}`);
      if (hashFile(dir, a.file).sha256 !== a.sha256) throw new CorruptArtefactError(`${path}: checksum mismatch (the file was altered or damaged)`);
    }
    return meta;
  }

  /**
   * Sets `evaluations[protocol]` in a version's metadata.json (rewritten atomically, the key moved
   * last; `metrics` untouched; an old layout is rewritten in the current one); returns the new metadata.
   */
  updateEvaluation(model: ModelName, version: string, protocol: string, result: unknown): ModelMetadata {
    const meta = this.metadata(model, version);
    // Re-inserted last, so the key order of `evaluations` is the order of the latest updates.
    const rest = Object.fromEntries(Object.entries(meta.evaluations ?? {}).filter(([k]) => k !== protocol));
    meta.evaluations = { ...rest, [protocol]: result };
    const path = join(this.dir(model, version), METADATA_FILE);
    const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
    writeFileDurably(tmp, `${JSON.stringify(meta, null, 2)}\n`);
    renameSync(tmp, path);
    fsyncPath(this.dir(model, version));
    return meta;
  }

  /** Committed version names of a model, newest first (ids sort by creation time). */
  private versions(model: ModelName): string[] {
    let names: string[];
    try {
      names = readdirSync(join(this.root, model));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => n !== LATEST && !n.startsWith('.') && isVersionName(n) && lstatSync(join(this.root, model, n)).isDirectory())
      .sort()
      .reverse();
  }

  /** A new symlink under a temporary name renamed over `latest`: atomic on POSIX file systems. */
  private switchLatest(model: ModelName, version: string): void {
    const modelDir = join(this.root, model);
    const tmp = join(modelDir, `.latest-${process.pid}-${randomBytes(3).toString('hex')}`);
    try {
      symlinkSync(version, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      writeFileDurably(tmp, `${version}\n`); // no symlinks allowed here (Windows without the privilege)
    }
    renameSync(tmp, join(modelDir, LATEST));
    fsyncPath(modelDir);
  }
}

/**
 * Metadata written before `evaluations` existed kept `evaluate`'s results (and the hybrid's fit
 * figures, under `training`) as objects inside `metrics`: moved to `evaluations` (and `training`),
 * so `metrics` holds only the flat figures. Files are not rewritten here; `updateEvaluation` does.
 */
export function upgradeLayout(meta: ModelMetadata): ModelMetadata {
  const metrics = meta.metrics;
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) {
    meta.metrics = {};
    return meta;
  }
  const nested = Object.entries(metrics).filter(([, v]) => v !== null && typeof v === 'object');
  if (nested.length === 0) return meta;
  const evaluations: Record<string, unknown> = {};
  for (const [key, value] of nested) {
    if (key === 'training' && meta.training === undefined) meta.training = value as Record<string, unknown>;
    else evaluations[key] = value;
  }
  meta.metrics = Object.fromEntries(Object.entries(metrics).filter(([, v]) => v === null || typeof v !== 'object'));
  if (Object.keys(evaluations).length > 0) meta.evaluations = { ...evaluations, ...(meta.evaluations ?? {}) };
  return meta;
}

/**
 * The RMSE and NDCG to show for a version: from the most recently updated evaluation
 * ({ rating: { rmse }, ranking: { ndcg } }), else the flat train-time `rmse` (and `ndcg`) of `metrics`.
 */
export function headlineMetrics(meta: ModelMetadata): { rmse?: number; ndcg?: number } {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  for (const value of Object.values(meta.evaluations ?? {}).reverse()) {
    if (value === null || typeof value !== 'object') continue;
    const v = value as { rating?: { rmse?: unknown }; ranking?: { ndcg?: unknown } };
    const rmse = num(v.rating?.rmse);
    const ndcg = num(v.ranking?.ndcg);
    if (rmse !== undefined || ndcg !== undefined) return { rmse, ndcg };
  }
  return { rmse: num(meta.metrics?.rmse), ndcg: num(meta.metrics?.ndcg) };
}

/** The same JSON for equal values whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function checkModel(model: string): ModelName {
  if (!(MODEL_NAMES as readonly string[]).includes(model)) throw new RegistryError(`unknown model "${model}": expected one of ${MODEL_NAMES.join(', ')}`);
  return model as ModelName;
}

function isVersionName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name) && name !== LATEST;
}

function checkVersion(version: string): string {
  if (!isVersionName(version)) throw new RegistryError(`bad version "${version}"`);
  return version;
}

let lastStamp = 0;

/** `v20261201T203015123Z-3fa2`: UTC time to the millisecond (strictly increasing within a process) and 4 random hex digits. */
function newVersionId(): string {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  const stamp = new Date(lastStamp).toISOString().replace(/[-:.]/g, '');
  return `v${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Regular files under dir, recursively, as sorted '/'-separated relative paths. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
    else throw new RegistryError(`${join(dir, rel)}: only regular files can be model artefacts`);
  }
  return out.sort();
}

/** Size and SHA-256 of a file (streamed in 1 MiB reads), fsynced on the way. */
function hashFile(dir: string, file: string): ArtefactInfo {
  const path = join(dir, file);
  const fd = openSync(path, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    let bytes = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
    fsyncSync(fd);
    return { file: relative(dir, path).split(sep).join('/'), bytes, sha256: hash.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

/** This host's name as a path segment. */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63) || 'host';
}

/** Whether a staging dir (by its name and age) belongs to no running writer. */
function stagingIsStale(name: string, ageMs: number): boolean {
  const m = /\.([A-Za-z0-9-]+)\.(\d+)$/.exec(name.slice(STAGING_PREFIX.length));
  if (!m || m[1] !== hostTag()) return ageMs > STALE_LEFTOVER_MS;
  return !processRuns(Number(m[2]));
}

/** Whether a process with this pid runs on this host (signal 0 checks without sending one). */
function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it runs, as another user
  }
}

/** Last change time, or 0 (very old) when it cannot be read. */
function mtimeOf(path: string): number {
  try {
    return lstatSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function writeFileDurably(path: string, text: string): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = Buffer.from(text);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let cachedVersion: string | undefined;

function libraryVersion(): string {
  if (cachedVersion === undefined) {
    try {
      // dist/src/recommend/registry/registry.js → the package root, four levels up.
      const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
