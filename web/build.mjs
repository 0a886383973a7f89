#!/usr/bin/env node
/**
 * Builds the web pages into dist/web/, minified, target es2020: the live dashboard (index.html,
 * app.js) and the batch analytics view (analytics.html, analytics.js), which share app.css and,
 * as ES modules, shared.js: the code both use (ECharts, charts.ts, …). Its name is fixed, not
 * hashed: the server lists the files to serve when it starts, so a rebuild under a running
 * server (--watch) must not rename it. Paths are relative to this file, so it works from any
 * directory.
 *
 *   node web/build.mjs           one build, prints one line with the output sizes
 *   node web/build.mjs --watch   rebuilds on change (the .html pages too)
 */
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, watch as fsWatch, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const webDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(webDir, '..');
export const outDir = join(root, 'dist', 'web');
/** The code the pages share, split out of their scripts (one chunk: there are two entry points). */
const SHARED = 'shared';

/** The pages: each HTML file loads its own script and the shared stylesheet. */
const PAGES = [
  { html: 'index.html', script: 'app' },
  { html: 'analytics.html', script: 'analytics' },
];

/** @type {esbuild.BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: [
    { in: join(webDir, 'src', 'main.ts'), out: 'app' },
    { in: join(webDir, 'src', 'analytics-main.ts'), out: 'analytics' },
    { in: join(webDir, 'styles.css'), out: 'app' },
  ],
  outdir: outDir,
  chunkNames: SHARED,
  bundle: true,
  splitting: true,
  minify: true,
  sourcemap: true,
  target: 'es2020',
  format: 'esm',
  platform: 'browser',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  metafile: true,
};

/** The pages with cache-busting query strings on their script and app.css. */
function writeHtml() {
  const stamp = (file) => {
    try {
      return createHash('sha256').update(readFileSync(join(outDir, file))).digest('hex').slice(0, 10);
    } catch {
      return 'dev';
    }
  };
  for (const { html, script } of PAGES) {
    const out = readFileSync(join(webDir, html), 'utf8')
      .replace(new RegExp(`(src|href)="${script}\\.js"`), `$1="${script}.js?v=${stamp(`${script}.js`)}"`)
      .replace(/(src|href)="app\.css"/, `$1="app.css?v=${stamp('app.css')}"`);
    writeFileSync(join(outDir, html), out);
  }
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

/** One line: each page's script, shared.js, the stylesheet and the pages, with the total. */
function summary() {
  const size = (f) => {
    const buf = readFileSync(join(outDir, f));
    return { size: buf.length, gz: gzipSync(buf).length };
  };
  const groups = [
    ...PAGES.map((p) => ({ label: `${p.script}.js`, parts: [size(`${p.script}.js`)] })),
    { label: `${SHARED}.js`, parts: [size(`${SHARED}.js`)] },
    { label: 'app.css', parts: [size('app.css')] },
    { label: 'html', parts: PAGES.map((p) => size(p.html)) },
  ];
  const sum = (parts, key) => parts.reduce((a, s) => a + s[key], 0);
  const all = groups.flatMap((g) => g.parts);
  return `${relative(process.cwd(), outDir) || '.'}: ${groups.map((g) => `${g.label} ${kb(sum(g.parts, 'size'))}`).join(', ')} — total ${kb(sum(all, 'size'))} (${kb(sum(all, 'gz'))} gzip)`;
}

/** One build (or, with watch, a context that rebuilds); resolves once the first build is written. */
export async function build({ watch = false } = {}) {
  mkdirSync(outDir, { recursive: true });
  if (!watch) {
    await esbuild.build(options);
    writeHtml();
    const line = summary();
    console.log(line);
    return line;
  }
  const ctx = await esbuild.context({
    ...options,
    plugins: [{
      name: 'html-and-report',
      setup(b) {
        b.onEnd((result) => {
          if (result.errors.length > 0) return;
          writeHtml();
          console.log(`[${new Date().toLocaleTimeString()}] ${summary()}`);
        });
      },
    }],
  });
  await ctx.watch();
  for (const { html } of PAGES) {
    fsWatch(join(webDir, html), () => {
      try { writeHtml(); } catch (err) { console.error(err); }
    });
  }
  console.log('watching web/ for changes (Ctrl-C to stop)');
  return ctx;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  build({ watch: process.argv.includes('--watch') }).catch((err) => {
    if (!err?.errors) console.error(err);
    process.exitCode = 1;
  });
}
