/**
 * Where a topic partition lives on JetStream: one stream per partition, so the stream sequence is
 * the partition's offset + 1 (dense, and a purge keeps sequences going). Stream names cannot hold
 * '.', subject tokens cannot either: names are encoded ('_' → `_u`, '.' → `_d`), which keeps them
 * apart — an encoded name never holds `__`, the separator.
 */
export function encodeName(name: string): string {
  return name.replace(/[_.]/g, (c) => (c === '_' ? '_u' : '_d'));
}

export function streamName(prefix: string, topic: string, partition: number): string {
  return `${encodeName(prefix)}__${encodeName(topic)}__${partition}`;
}

export function subjectOf(prefix: string, topic: string, partition: number): string {
  return `${subjectPrefix(prefix)}.${encodeName(topic)}.${partition}`;
}

/** Every subject of this namespace: `<prefix>.>` lists its streams. */
export function subjectPrefix(prefix: string): string {
  return `streamrec.${encodeName(prefix)}`;
}

/** What each partition's stream description says, so a topic can be listed and counted. */
export interface TopicDescription {
  streamrec: { topic: string; partitions: number };
}

export function describeTopic(topic: string, partitions: number): string {
  return JSON.stringify({ streamrec: { topic, partitions } } satisfies TopicDescription);
}

export function readDescription(description: string | undefined): TopicDescription['streamrec'] | null {
  if (!description) return null;
  try {
    const d = JSON.parse(description) as Partial<TopicDescription>;
    return d.streamrec && typeof d.streamrec.topic === 'string' && Number.isInteger(d.streamrec.partitions) ? d.streamrec : null;
  } catch {
    return null;
  }
}
