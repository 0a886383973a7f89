/**
 * Key → partition with Kafka's default partitioner (murmur2 of the key's UTF-8 bytes, made
 * positive, modulo the partition count), so a key lands on the same partition number in the
 * embedded log and on a Kafka cluster.
 */
const encoder = new TextEncoder();

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const asciiScratch = new Uint8Array(256);

export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(keyBytes(key)) & 0x7fffffff) % partitions;
}

/** UTF-8 bytes of a key; short ASCII keys (user ids) skip TextEncoder's allocation. */
function keyBytes(key: string): Uint8Array {
  if (key.length > asciiScratch.length) return encoder.encode(key);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(key);
    asciiScratch[i] = c;
  }
  return asciiScratch.subarray(0, key.length);
}
