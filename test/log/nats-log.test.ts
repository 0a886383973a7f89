/**
 * The event log contract on NATS JetStream (see nats-server.ts), each run under its own prefix,
 * its streams deleted at the end. Without a reachable server the suite says so and skips (CI
 * starts one).
 */
import { it } from 'node:test';
import { NatsBroker } from '../../src/log/nats/nats-broker.js';
import { logContract } from './contract.js';
import { dropNatsPrefix, freshNatsUrl, natsProblem, natsServer } from './nats-server.js';
import { remoteLogUnderTest } from './remote-under-test.js';

const problem = await natsProblem();
if (problem !== null) {
  it(`event log contract: NATS JetStream at ${natsServer}`, { skip: `no NATS JetStream server: ${problem}` }, () => {});
} else {
  logContract(
    `NATS JetStream at ${natsServer}`,
    async () => {
      const url = freshNatsUrl('t');
      return remoteLogUnderTest(() => new NatsBroker(url), () => dropNatsPrefix(url));
    },
    { retention: false },
  );
}
