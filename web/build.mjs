#!/usr/bin/env node
/**
 * Builds the dashboard into dist/web/: index.html, app.js (+ map) and app.css (+ map), minified,
 * target es2020. Paths are relative to this file, so it works from any directory.
 *
 *   node web/build.mjs           one build, prints one line with the output size
 *   node web/build.mjs --watch   rebuilds on change (index.html too)
 */
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, watch as fsWatch, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const webDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(webDir, '..');
export const outDir = join(root, 'dist', 'web');

/** @type {esbuild.BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: [
    { in: join(webDir, 'src', 'main.ts'), out: 'app' },
    { in: join(webDir, 'styles.css'), out: 'app' },
  ],
  outdir: outDir,
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'es2020',
  format: 'iife',
  platform: 'browser',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  metafile: true,
};

/** index.html with cache-busting query strings on app.js / app.css. */
function writeHtml() {
  const html = readFileSync(join(webDir, 'index.html'), 'utf8');
  const stamp = (file) => {
    try {
      return createHash('sha256').update(readFileSync(join(outDir, file))).digest('hex').slice(0, 10);
    } catch {
      return 'dev';
    }
  };
  const out = html
    .replace(/(src|href)="app\.js"/, `$1="app.js?v=${stamp('app.js')}"`)
    .replace(/(src|href)="app\.css"/, `$1="app.css?v=${stamp('app.css')}"`);
  writeFileSync(join(outDir, 'index.html'), out);
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

function summary() {
  const files = ['app.js', 'app.css', 'index.html'];
  const sizes = files.map((f) => {
    const buf = readFileSync(join(outDir, f));
    return { f, size: statSync(join(outDir, f)).size, gz: gzipSync(buf).length };
  });
  const total = sizes.reduce((a, s) => a + s.size, 0);
  const gz = sizes.reduce((a, s) => a + s.gz, 0);
  return `${relative(process.cwd(), outDir) || '.'}: ${sizes.map((s) => `${s.f} ${kb(s.size)}`).join(', ')} — total ${kb(total)} (${kb(gz)} gzip)`;
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
  fsWatch(join(webDir, 'index.html'), () => {
    try { writeHtml(); } catch (err) { console.error(err); }
  });
  console.log('watching web/ for changes (Ctrl-C to stop)');
  return ctx;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  build({ watch: process.argv.includes('--watch') }).catch((err) => {
    if (!err?.errors) console.error(err);
    process.exitCode = 1;
  });
}
