import { connect } from 'node:net';

/** Opens and closes a TCP connection: null when it connected, else why not (`ECONNREFUSED`, a timeout …). */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: string | null) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(`no connection within ${timeoutMs / 1000}s`));
    socket.once('connect', () => done(null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? `connection refused: nothing listens at ${host}:${port}` : (err.code ?? err.message)));
  });
}
