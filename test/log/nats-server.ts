/** The NATS JetStream server the tests use (STREAMREC_TEST_NATS, default nats://127.0.0.1:4222). */
import { randomBytes } from 'node:crypto';
import { parseLogUrl, type NatsLogUrl } from '../../src/log/log-url.js';
import { NatsBroker } from '../../src/log/nats/nats-broker.js';

export const natsServer = process.env.STREAMREC_TEST_NATS ?? 'nats://127.0.0.1:4222';

/** The server under a new prefix of its own (a test run's namespace). */
export function freshNatsUrl(tag: string): NatsLogUrl {
  return parseLogUrl(`${natsServer.replace(/\/$/, '')}/${tag}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`) as NatsLogUrl;
}

/** Why the server cannot be used, or null when it answers. */
export async function natsProblem(): Promise<string | null> {
  const broker = new NatsBroker(freshNatsUrl('probe'));
  try {
    await broker.listTopics();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await broker.close();
  }
}

/** Deletes every stream of the prefix (the coordination topic's too). */
export async function dropNatsPrefix(url: NatsLogUrl): Promise<void> {
  const broker = new NatsBroker(url);
  try {
    for (const topic of await broker.listTopics()) await broker.deleteTopic(topic);
  } finally {
    await broker.close();
  }
}
