#!/usr/bin/env node
/**
 * Builds the web pages into dist/web/, minified, target es2020: the live dashboard (index.html,
 * app.js), the batch analytics view (analytics.html, analytics.js), the live clicks
 * (clicks.html, clicks.js), the live shop (commerce.html, commerce.js) and the per-user
 * recommendations (recommend.html, recommend.js), which share app.css
 * and, as ES modules, shared.js: the code they use in common (ECharts, charts.ts, sse.ts, …; web/src/shared.ts lists it). Its name is fixed,
 * not hashed: the server lists the files to serve when it starts, so a rebuild under a running
 * server (--watch) must not rename it. The clicker (clicker.html, clicker.js) is built on its
 * own, without the shared chunk: it needs no chart code. Paths are relative to this file, so it
 * works from any directory.
 *
 * The pages' common head, top-bar brand (logo, name, the nav between the pages) and, on the pages
 * that follow a stream, connection header and banner are written once, in web/partials/: a page
 * names a partial where it goes with a marker line,
 * `<!-- partial brand.html sub="Clicks · live" current="clicks" -->`, and the build puts the
 * partial there, indented as the marker, its `{{name}}`s filled from the marker's attributes (and
 * `{{script}}`, the page's script, from PAGES); `current` marks that page's nav link
 * (`data-testid="nav-<current>"`) with aria-current="page". A marker naming no partial, a
 * `{{name}}` left unfilled or a `current` no link has fails the build, naming the page.
 *
 *   node web/build.mjs           one build, prints one line with the output sizes
 *   node web/build.mjs --watch   rebuilds on change (the .html pages and partials too)
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
/**
 * The code the dashboard pages share, split out of their scripts: one chunk, as every page
 * imports web/src/shared.ts (see there).
 */
const SHARED = 'shared';

/** The partials the pages' markers name (see above). */
const partialsDir = join(webDir, 'partials');

/** The pages: each HTML file loads its own script and the shared stylesheet. */
const PAGES = [
  { html: 'index.html', script: 'app' },
  { html: 'analytics.html', script: 'analytics' },
  { html: 'clicks.html', script: 'clicks' },
  { html: 'commerce.html', script: 'commerce' },
  { html: 'recommend.html', script: 'recommend' },
  { html: 'clicker.html', script: 'clicker' },
];

/** @type {esbuild.BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: [
    { in: join(webDir, 'src', 'main.ts'), out: 'app' },
    { in: join(webDir, 'src', 'analytics-main.ts'), out: 'analytics' },
    { in: join(webDir, 'src', 'clicks-main.ts'), out: 'clicks' },
    { in: join(webDir, 'src', 'commerce-main.ts'), out: 'commerce' },
    { in: join(webDir, 'src', 'recommend-main.ts'), out: 'recommend' },
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

/** The pages built on their own: one script each, no shared chunk. */
/** @type {esbuild.BuildOptions} */
const standalone = {
  ...options,
  entryPoints: [{ in: join(webDir, 'src', 'clicker-main.ts'), out: 'clicker' }],
  splitting: false,
  chunkNames: undefined,
};

/** esbuild's error when the dashboard pages share code in two combinations, with the fix. */
function explain(err) {
  if (err?.errors?.some((e) => /share the same path/i.test(e.text))) {
    console.error(`web/build.mjs: the pages share code outside ${SHARED}.js: add the module that two of them import to web/src/shared.ts`);
  }
  return err;
}

/** A partial's text, without its leading comment (what it is for: it stays in the source). */
function readPartial(name) {
  return readFileSync(join(partialsDir, name), 'utf8').replace(/^<!--[\s\S]*?-->\n/, '');
}

/** A page's source with every partial marker replaced by its partial, filled (see the top of this file). */
function expandPartials(html, page, script) {
  return html.replace(/^([ \t]*)<!-- partial ([\w.-]+)((?:\s+[\w-]+="[^"]*")*)\s*-->\n/gm, (_marker, indent, name, attrs) => {
    const values = { script };
    for (const [, key, value] of attrs.matchAll(/([\w-]+)="([^"]*)"/g)) values[key] = value;
    let text;
    try {
      text = readPartial(name);
    } catch (err) {
      throw new Error(`web/${page}: no partial web/partials/${name} (${err.code ?? err.message})`);
    }
    text = text.replace(/\{\{(\w+)\}\}/g, (placeholder, key) => {
      if (values[key] === undefined) throw new Error(`web/${page}: the partial ${name} needs ${key}="…" on its marker`);
      return values[key];
    });
    if (values.current !== undefined) {
      const link = `data-testid="nav-${values.current}"`;
      if (!text.includes(link)) throw new Error(`web/${page}: current="${values.current}" is no nav link of ${name}`);
      text = text.replace(link, `aria-current="page" ${link}`);
    }
    return text.split('\n').map((line) => (line === '' ? line : indent + line)).join('\n');
  });
}

/** The pages, their partials put in, with cache-busting query strings on their script and app.css. */
function writeHtml() {
  const stamp = (file) => {
    try {
      return createHash('sha256').update(readFileSync(join(outDir, file))).digest('hex').slice(0, 10);
    } catch {
      return 'dev';
    }
  };
  for (const { html, script } of PAGES) {
    const out = expandPartials(readFileSync(join(webDir, html), 'utf8'), html, script)
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
    await Promise.all([esbuild.build(options), esbuild.build(standalone)]).catch((err) => { throw explain(err); });
    writeHtml();
    const line = summary();
    console.log(line);
    return line;
  }
  const report = {
    name: 'html-and-report',
    setup(b) {
      b.onEnd((result) => {
        if (result.errors.length > 0) return;
        try {
          writeHtml();
          console.log(`[${new Date().toLocaleTimeString()}] ${summary()}`);
        } catch (err) {
          // The other build's first output may not be there yet: its own onEnd reports.
          if (err?.code !== 'ENOENT') console.error(err);
        }
      });
    },
  };
  const contexts = await Promise.all([options, standalone].map((o) => esbuild.context({ ...o, plugins: [report] })));
  await Promise.all(contexts.map((c) => c.watch()));
  const ctx = { dispose: () => Promise.all(contexts.map((c) => c.dispose())) };
  for (const path of [...PAGES.map(({ html }) => join(webDir, html)), partialsDir]) {
    fsWatch(path, () => {
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
