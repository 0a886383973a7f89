/**
 * librdkafka's mock Kafka cluster for tests, started through Debian's kcat (`.ci/run` installs it):
 * kcat with `test.mock.num.brokers` runs the mock brokers inside its own process and logs their
 * addresses. Without `-d mock`: the debug log writes a line per request, which a benchmark would
 * pay for; the addresses are in the notice kcat logs anyway. Absent kcat, tests skip and say why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../helpers/tmp.js';

export const KCAT = '/usr/bin/kcat';

/** Why Kafka tests cannot run here, or null when they can. */
export function kafkaMockMissing(): string | null {
  try {
    accessSync(KCAT, constants.X_OK);
    return null;
  } catch {
    return `kcat is not installed at ${KCAT} (apt-get install -y kcat): no librdkafka mock cluster to test against`;
  }
}

export interface KafkaMock {
  servers: string[];
  stop(): Promise<void>;
}

export async function startKafkaMock(brokers = 3): Promise<KafkaMock> {
  const { dir, cleanup } = tempDir('streamrec-kafka-mock-');
  const logPath = join(dir, 'mock.log');
  const log = openSync(logPath, 'w');
  // A consumer of some topic keeps kcat (and so the mock cluster in it) running until killed.
  const child: ChildProcess = spawn(
    KCAT,
    ['-b', 'localhost:1', '-X', `test.mock.num.brokers=${brokers}`, '-C', '-t', 'streamrec-mock-keepalive', '-o', 'beginning'],
    { stdio: ['ignore', 'ignore', log] },
  );
  closeSync(log);
  // A test process that dies before `stop` must not leave the mock cluster running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    cleanup();
  };
  for (let waited = 0; waited < 10_000; waited += 50) {
    const text = readFileSync(logPath, 'utf8');
    const found = /(?:bootstrap\.servers=|replaced with )([0-9.:,]+)/.exec(text);
    if (found?.[1] !== undefined) return { servers: found[1].split(','), stop };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  const text = readFileSync(logPath, 'utf8');
  await stop();
  throw new Error(`kcat did not start a mock Kafka cluster; its log:\n${text}`);
}
