import http from 'node:http';
import type net from 'node:net';

/** What the fake API does for one recommendation request. */
export type Behaviour =
  | { kind: 'ok'; source: string; delayMs?: number }
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'not-json' };

export interface FakeApiOptions {
  /** The `users` field of GET /recommendations/ (omitted when undefined). */
  users?: { min: number; max: number; count: number };
  /** Default: every user answered at once from "model". */
  behave?: (userId: number, index: number) => Behaviour;
  health?: { status: number; body: unknown };
}

export interface SeenRequest {
  userId: number;
  n: number;
  behaviour: Behaviour;
  /** performance.now() when the request arrived. */
  at: number;
}

/**
 * A stand-in for the recommendation API on 127.0.0.1 (the real one is written elsewhere): the
 * three routes with fixed bodies, and a per-user behaviour for slow answers and failures. It
 * records what it received and did, so tests compare the simulator's counts with the server's.
 */
export async function startFakeApi(options: FakeApiOptions = {}): Promise<{ base: string; seen: SeenRequest[]; close: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const behave = options.behave ?? ((): Behaviour => ({ kind: 'ok', source: 'model' }));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/recommendations/health') {
      const health = options.health ?? { status: 200, body: { status: 'healthy', model_loaded: true, model_version: 'v-test', cache: { size: 0 } } };
      return json(health.status, health.body);
    }
    if (url.pathname === '/recommendations/' || url.pathname === '/recommendations') {
      return json(200, { service: 'recommendations', model_version: 'v-test', ...(options.users ? { users: options.users } : {}) });
    }
    const match = /^\/recommendations\/recommend\/(\d+)$/.exec(url.pathname);
    if (!match) return json(404, { message: 'not found' });
    const userId = Number(match[1]);
    const behaviour = behave(userId, seen.length);
    seen.push({ userId, n: Number(url.searchParams.get('n')), behaviour, at: performance.now() });
    switch (behaviour.kind) {
      case 'hang':
        return; // never answers; closed with the server
      case 'not-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('<html>oops</html>');
      case 'status':
        return json(behaviour.status, { detail: 'Servicio de recomendaciones no disponible' });
      case 'ok': {
        const body = {
          user_id: userId,
          recommendations: [{ movie_id: 318, title: 'The Shawshank Redemption (1994)', genres: ['Crime', 'Drama'], predicted_rating: 4.85, rank: 1 }],
          timestamp: new Date().toISOString(),
          model_version: 'v-test',
          source: behaviour.source,
        };
        if (behaviour.delayMs) setTimeout(() => json(200, body), behaviour.delayMs);
        else json(200, body);
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    base,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL nothing listens on: a port just freed by a server we closed. */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
