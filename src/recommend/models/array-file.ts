// One model artefact file: a JSON header (free-form `meta` plus a directory of named typed
// arrays) followed by the arrays, each 8-byte aligned, with a SHA-256 of the body in the header so
// a truncated or altered artefact is refused at load instead of serving garbage.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { StreamrecError } from '../../util/errors.js';

const MAGIC = 'SRARRAY1';

export type NumericArray = Int32Array | Float32Array | Float64Array | Uint8Array | Uint16Array | Uint32Array | Int8Array;
type Kind = 'i32' | 'f32' | 'f64' | 'u8' | 'u16' | 'u32' | 'i8';
const BYTES: Record<Kind, number> = { i32: 4, f32: 4, f64: 8, u8: 1, u16: 2, u32: 4, i8: 1 };

interface Entry {
  name: string;
  kind: Kind;
  offset: number;
  length: number;
}

interface Header {
  meta: unknown;
  arrays: Entry[];
  bodyBytes: number;
  sha256: string;
}

/** An artefact that fails its checks: the registry reports it as corrupt. */
export class CorruptArtefactError extends StreamrecError {
  override name = 'CorruptArtefactError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'corrupt-artefact', status: 500, cause: options.cause });
  }
}

export interface ArrayFile<M = unknown> {
  meta: M;
  arrays: Record<string, NumericArray>;
}

/** Writes arrays and meta to `path` (temp file, fsync, rename). */
export function writeArrayFile(path: string, meta: unknown, arrays: Record<string, NumericArray>): void {
  const entries: Entry[] = [];
  let offset = 0;
  for (const [name, array] of Object.entries(arrays)) {
    entries.push({ name, kind: kindOf(array), offset, length: array.length });
    offset = align8(offset + array.byteLength);
  }
  const body = Buffer.alloc(offset);
  for (const entry of entries) {
    const array = arrays[entry.name];
    body.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), entry.offset);
  }
  const header: Header = { meta, arrays: entries, bodyBytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(align8(12 + json.length), 0x20);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  json.copy(prefix, 12);

  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFully(fd, prefix, 0);
    writeFully(fd, body, prefix.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Reads and verifies an array file, synchronously (the CLI, training, tests). A server loading
 * beside live traffic uses readArrayFileAsync and hands the result to a model's `load` through
 * withArrayFiles. The arrays are views over the file's buffer.
 */
export function readArrayFile<M = unknown>(path: string): ArrayFile<M> {
  const provided = providedFiles?.get(path);
  if (provided !== undefined) return provided as ArrayFile<M>;
  const buf = readFileSync(path);
  const parsed = parseArrayFile<M>(path, buf);
  if (createHash('sha256').update(parsed.body).digest('hex') !== parsed.sha256) throw checksumError(path);
  return parsed.file;
}

/** Bytes hashed between two yields to the event loop: a few milliseconds of SHA-256. */
const HASH_CHUNK = 4 << 20;

/**
 * readArrayFile without stalling the event loop: the file is read on libuv's thread pool and
 * hashed in chunks with a yield between them, so a large artefact costs live requests a few
 * milliseconds at a time instead of one long pause.
 */
export async function readArrayFileAsync<M = unknown>(path: string): Promise<ArrayFile<M>> {
  const buf = await readFile(path);
  const parsed = parseArrayFile<M>(path, buf);
  const hash = createHash('sha256');
  for (let at = 0; at < parsed.body.length; at += HASH_CHUNK) {
    hash.update(parsed.body.subarray(at, at + HASH_CHUNK));
    await yieldToEventLoop();
  }
  if (hash.digest('hex') !== parsed.sha256) throw checksumError(path);
  return parsed.file;
}

let providedFiles: ReadonlyMap<string, ArrayFile> | null = null;

/**
 * Runs a synchronous `load` (a model's `load(dir)`) with `files` (path → read and verified file)
 * answering its readArrayFile calls, so a model whose loader reads synchronously can be fed
 * files read with readArrayFileAsync. Synchronous, so no other caller can see the files.
 */
export function withArrayFiles<T>(files: ReadonlyMap<string, ArrayFile>, load: () => T): T {
  const outer = providedFiles;
  providedFiles = files;
  try {
    return load();
  } finally {
    providedFiles = outer;
  }
}

/** Header checks and views over the body; the caller verifies `sha256` over `body`. */
function parseArrayFile<M>(path: string, buf: Buffer): { file: ArrayFile<M>; body: Uint8Array; sha256: string } {
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new CorruptArtefactError(`${path} is not a streamrec model artefact`);
  const jsonLength = buf.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + jsonLength)) as Header;
  } catch {
    throw new CorruptArtefactError(`${path}: unreadable header`);
  }
  const start = align8(12 + jsonLength);
  if (buf.length !== start + header.bodyBytes) throw new CorruptArtefactError(`${path}: ${buf.length} bytes, expected ${start + header.bodyBytes} (truncated or appended to)`);
  // Typed-array views need 8-byte alignment: the body is aligned within the file, the Buffer's
  // start in its ArrayBuffer may not be (small reads come from a shared pool), then copy.
  let body: Uint8Array;
  if ((buf.byteOffset + start) % 8 === 0) {
    body = new Uint8Array(buf.buffer, buf.byteOffset + start, header.bodyBytes);
  } else {
    body = new Uint8Array(header.bodyBytes);
    body.set(buf.subarray(start));
  }
  const arrays: Record<string, NumericArray> = {};
  for (const entry of header.arrays) arrays[entry.name] = view(path, body, entry);
  return { file: { meta: header.meta as M, arrays }, body, sha256: header.sha256 };
}

function checksumError(path: string): CorruptArtefactError {
  return new CorruptArtefactError(`${path}: checksum mismatch (the file was altered or damaged)`);
}

/** The named array, checked for its kind; a missing one is a corrupt artefact. */
export function arrayOf<T extends NumericArray>(file: ArrayFile, name: string, ctor: { new (n: number): T; name: string }, path = 'artefact'): T {
  const array = file.arrays[name];
  if (!(array instanceof ctor)) throw new CorruptArtefactError(`${path}: array "${name}" missing or not ${ctor.name}`);
  return array as T;
}

function view(path: string, body: Uint8Array, e: Entry): NumericArray {
  const size = Object.hasOwn(BYTES, e.kind) ? BYTES[e.kind] : undefined;
  if (size === undefined) throw new CorruptArtefactError(`${path}: unknown array kind ${String(e.kind)}`);
  if (!(Number.isInteger(e.offset) && Number.isInteger(e.length) && e.offset >= 0 && e.length >= 0 && e.offset % size === 0 && e.offset + e.length * size <= body.length)) {
    throw new CorruptArtefactError(`${path}: array "${e.name}" lies outside the file's body`);
  }
  const { buffer } = body;
  const offset = body.byteOffset + e.offset;
  switch (e.kind) {
    case 'i32':
      return new Int32Array(buffer, offset, e.length);
    case 'f32':
      return new Float32Array(buffer, offset, e.length);
    case 'f64':
      return new Float64Array(buffer, offset, e.length);
    case 'u8':
      return new Uint8Array(buffer, offset, e.length);
    case 'u16':
      return new Uint16Array(buffer, offset, e.length);
    case 'u32':
      return new Uint32Array(buffer, offset, e.length);
    case 'i8':
      return new Int8Array(buffer, offset, e.length);
    default:
      throw new CorruptArtefactError(`unknown array kind ${String(e.kind)}`);
  }
}

function kindOf(a: NumericArray): Kind {
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint16Array) return 'u16';
  if (a instanceof Uint32Array) return 'u32';
  return 'i8';
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30), position + done);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
