/**
 * The event log contract on NATS JetStream (the server at STREAMREC_TEST_NATS, default
 * nats://127.0.0.1:4222), each run under its own prefix, its streams deleted at the end. Without
 * a reachable server the suite says so and skips (CI starts one).
 */
import { it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { parseLogUrl, type NatsLogUrl } from '../../src/log/log-url.js';
import { NatsBroker } from '../../src/log/nats/nats-broker.js';
import { logContract } from './contract.js';
import { remoteLogUnderTest } from './remote-under-test.js';

const server = process.env.STREAMREC_TEST_NATS ?? 'nats://127.0.0.1:4222';

function urlFor(prefix: string): NatsLogUrl {
  return parseLogUrl(`${server.replace(/\/$/, '')}/${prefix}`) as NatsLogUrl;
}

/** Deletes every stream of the prefix (the coordination topic's too). */
async function dropAll(url: NatsLogUrl): Promise<void> {
  const broker = new NatsBroker(url);
  try {
    for (const topic of await broker.listTopics()) await broker.deleteTopic(topic);
  } finally {
    await broker.close();
  }
}

async function reachable(): Promise<string | null> {
  const broker = new NatsBroker(urlFor('probe'));
  try {
    await broker.listTopics();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await broker.close();
  }
}

const problem = await reachable();
if (problem !== null) {
  it(`event log contract: NATS JetStream at ${server}`, { skip: `no NATS JetStream server: ${problem}` }, () => {});
} else {
  logContract(
    `NATS JetStream at ${server}`,
    async () => {
      const url = urlFor(`t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);
      return remoteLogUnderTest(() => new NatsBroker(url), () => dropAll(url));
    },
    { retention: false },
  );
}
