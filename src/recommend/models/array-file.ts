// One model artefact file: a JSON header (free-form `meta` plus a directory of named typed
// arrays) followed by the arrays, each 8-byte aligned, with a SHA-256 of the body in the header so
// a truncated or altered artefact is refused at load instead of serving garbage.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

const MAGIC = 'SRARRAY1';

export type NumericArray = Int32Array | Float32Array | Float64Array | Uint8Array | Uint16Array | Uint32Array | Int8Array;
type Kind = 'i32' | 'f32' | 'f64' | 'u8' | 'u16' | 'u32' | 'i8';

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
export class CorruptArtefactError extends Error {
  override name = 'CorruptArtefactError';
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

/** Reads and verifies an array file; the arrays are views over one buffer (no copies). */
export function readArrayFile<M = unknown>(path: string): ArrayFile<M> {
  const buf = readFileSync(path);
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
  const bytes = new Uint8Array(buf.byteLength - start);
  bytes.set(buf.subarray(start));
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== header.sha256) throw new CorruptArtefactError(`${path}: checksum mismatch (the file was altered or damaged)`);
  const arrays: Record<string, NumericArray> = {};
  for (const entry of header.arrays) arrays[entry.name] = view(bytes.buffer, entry);
  return { meta: header.meta as M, arrays };
}

/** The named array, checked for its kind; a missing one is a corrupt artefact. */
export function arrayOf<T extends NumericArray>(file: ArrayFile, name: string, ctor: { new (n: number): T; name: string }, path = 'artefact'): T {
  const array = file.arrays[name];
  if (!(array instanceof ctor)) throw new CorruptArtefactError(`${path}: array "${name}" missing or not ${ctor.name}`);
  return array as T;
}

function view(buffer: ArrayBufferLike, e: Entry): NumericArray {
  switch (e.kind) {
    case 'i32':
      return new Int32Array(buffer, e.offset, e.length);
    case 'f32':
      return new Float32Array(buffer, e.offset, e.length);
    case 'f64':
      return new Float64Array(buffer, e.offset, e.length);
    case 'u8':
      return new Uint8Array(buffer, e.offset, e.length);
    case 'u16':
      return new Uint16Array(buffer, e.offset, e.length);
    case 'u32':
      return new Uint32Array(buffer, e.offset, e.length);
    case 'i8':
      return new Int8Array(buffer, e.offset, e.length);
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
