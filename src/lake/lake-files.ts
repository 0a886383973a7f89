/**
 * What a lake table's directory holds, read-only: its data files with the (source partition,
 * first source offset) their names carry (see `LAKE_FILE_RE`), the temporary files of flushes in
 * progress or crashed, and whether a data file is a whole Parquet file.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { filesUnder } from '../util/files-under.js';
import { LAKE_FILE_RE, LAKE_TEMP_SUFFIX } from './lake-table.js';

export interface LakeDataFile {
  path: string;
  /** The source topic partition its rows came from. */
  partition: number;
  /** The source offset of its first row. */
  offset: number;
  bytes: number;
  mtimeMs: number;
}

export interface LakeTempFile {
  path: string;
  mtimeMs: number;
}

export interface LakeTableFiles {
  data: LakeDataFile[];
  temp: LakeTempFile[];
  /** Other files (neither a data file nor a temporary one). */
  other: string[];
}

/** Every file under a table's root (none when it does not exist), sorted by path. */
export function listLakeFiles(root: string): LakeTableFiles {
  const out: LakeTableFiles = { data: [], temp: [], other: [] };
  for (const path of filesUnder(root).sort()) {
    const name = basename(path);
    const m = LAKE_FILE_RE.exec(name);
    if (m !== null) {
      const s = statSync(path);
      out.data.push({ path, partition: Number(m[1]), offset: Number(m[2]), bytes: s.size, mtimeMs: s.mtimeMs });
    } else if (name.endsWith(LAKE_TEMP_SUFFIX)) {
      out.temp.push({ path, mtimeMs: statSync(path).mtimeMs });
    } else {
      out.other.push(path);
    }
  }
  return out;
}

const PARQUET_MAGIC = 'PAR1';

/** Whether the file starts and ends with Parquet's magic bytes (a truncated or overwritten file does not). */
export function isWholeParquetFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 12) return false;
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    readSync(fd, tail, 0, 4, size - 4);
    return head.toString('latin1') === PARQUET_MAGIC && tail.toString('latin1') === PARQUET_MAGIC;
  } finally {
    closeSync(fd);
  }
}
