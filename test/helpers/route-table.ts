import type { FastifyInstance } from 'fastify';

/** One route the app answers: a method and its path as registered (`:param`, `*`). */
export interface RouteEntry {
  method: string;
  path: string;
}

/**
 * Every route a Fastify app has, read from `printRoutes({ commonPrefix: false })` — Fastify keeps
 * no public list, and an `onRoute` hook would have to be in place before the app registers
 * anything. In that tree each node's text is the literal continuation of its parent's path, and
 * a node at depth d starts with d four-character indents.
 */
export function routeTable(app: FastifyInstance): RouteEntry[] {
  const stack: string[] = [];
  const out: RouteEntry[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push({ method, path });
  }
  return out.sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path)));
}
