/**
 * Where a streamrec topic lives on a Kafka cluster: `<prefix>.<topic>`, so several streamrec
 * installations (or tests) share one cluster without seeing each other's topics. The coordination
 * topic `__streamrec_tx` is named the same way as any other.
 */

export interface KafkaUrl {
  kind: 'kafka';
  /** Bootstrap servers, `host:port`. */
  servers: string[];
  /** Namespace on the cluster; '' puts topics at the top level. */
  prefix: string;
}

/** Kafka's own topics, which a streamrec log without a prefix must not list as its own. */
const KAFKA_INTERNAL = new Set(['__consumer_offsets', '__transaction_state']);

export function serverTopic(url: KafkaUrl, topic: string): string {
  return url.prefix === '' ? topic : `${url.prefix}.${topic}`;
}

/** The streamrec name of a server topic, or null when the topic is outside this namespace. */
export function localTopic(url: KafkaUrl, name: string): string | null {
  if (url.prefix === '') return KAFKA_INTERNAL.has(name) ? null : name;
  const head = `${url.prefix}.`;
  return name.startsWith(head) && name.length > head.length ? name.slice(head.length) : null;
}

export function describeKafka(url: KafkaUrl): string {
  return `kafka://${url.servers.join(',')}/${url.prefix}`;
}
