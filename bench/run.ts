/** `npm run bench -- <name>`: runs one benchmark; `npm run bench` lists them. */
const benches: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  log: () => import('./log.bench.js'),
  process: () => import('./process.bench.js'),
  api: () => import('./api.bench.js'),
  analytics: () => import('./analytics.bench.js'),
  train: () => import('./train.bench.js'),
  serve: () => import('./serve.bench.js'),
  clicks: () => import('./clicks.bench.js'),
  commerce: () => import('./commerce.bench.js'),
  soak: () => import('./soak.bench.js'),
  scale: () => import('./scale.bench.js'),
};

const name = process.argv[2];
if (!name || !(name in benches)) {
  process.stderr.write(`usage: npm run bench -- <name>\nbenchmarks: ${Object.keys(benches).join(', ')}\n`);
  process.exit(name ? 1 : 0);
}
await (await benches[name]!()).run();
