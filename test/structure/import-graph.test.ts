import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  importCycles,
  importGraphViolations,
  importSpecifiers,
  layerViolations,
  readImportGraph,
  resolveSpecifier,
  srcDir,
  type ImportGraph,
} from './import-graph.js';

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

describe('import graph of src/', () => {
  it('imports only from its own layer or lower ones, and has no cycles', () => {
    const real = readImportGraph(srcDir());
    assert.ok(real.size > 50, `read only ${real.size} files from ${srcDir()}`);
    const violations = importGraphViolations(real);
    assert.equal(violations.length, 0, `import graph violations:\n${violations.join('\n')}`);
  });
});

describe('the import-graph checker', () => {
  it('sees static, type-only, re-export and dynamic imports, but not worker URLs', () => {
    const text = `
      import a from './a.js';
      import type { B } from '../b.js';
      import './side-effect.js';
      export { c } from './c.js';
      export * from './d.js';
      const e = await import('./e.js');
      type F = typeof import('./f.js');
      const w = new Worker(new URL('./worker.js', import.meta.url));
      import { readFileSync } from 'node:fs';
    `;
    assert.deepEqual(importSpecifiers('x/y.ts', text), [
      './a.js',
      '../b.js',
      './side-effect.js',
      './c.js',
      './d.js',
      './e.js',
      './f.js',
      'node:fs',
    ]);
  });

  it('resolves ./x.js to x.ts and folders to index.ts, and ignores packages and non-source files', () => {
    const files = new Set(['log/types.ts', 'log/sqlite/sqlite-log.ts', 'util/index.ts', 'config.ts']);
    assert.equal(resolveSpecifier('log/sqlite/sqlite-log.ts', '../types.js', files), 'log/types.ts');
    assert.equal(resolveSpecifier('log/types.ts', './sqlite/sqlite-log.js', files), 'log/sqlite/sqlite-log.ts');
    assert.equal(resolveSpecifier('log/types.ts', '../util', files), 'util/index.ts');
    assert.equal(resolveSpecifier('log/types.ts', '../config.js', files), 'config.ts');
    assert.equal(resolveSpecifier('log/types.ts', 'better-sqlite3', files), null);
    assert.equal(resolveSpecifier('cli/main.ts', '../../package.json', files), null);
  });

  it('finds an upward edge, naming it', () => {
    const g = graph({
      'server/listen.ts': ['cli/user-error.ts', 'util/duration.ts'],
      'cli/user-error.ts': [],
      'util/duration.ts': [],
    });
    assert.deepEqual(layerViolations(g), ['server/listen.ts → cli/user-error.ts (imports a higher layer)']);
  });

  it('counts a file directly under src/ as util, and names a folder in no layer', () => {
    const g = graph({ 'config.ts': ['log/types.ts'], 'log/types.ts': [], 'nowhere/x.ts': [] });
    assert.deepEqual(layerViolations(g), [
      'config.ts → log/types.ts (imports a higher layer)',
      'nowhere/x.ts: its folder is in no layer (add it to LAYERS)',
    ]);
  });

  it('finds a 3-file cycle within one layer, and a self-import', () => {
    const g = graph({
      'lake/a.ts': ['recommend/b.ts'],
      'recommend/b.ts': ['analytics/c.ts', 'util/x.ts'],
      'analytics/c.ts': ['lake/a.ts'],
      'util/x.ts': [],
      'util/self.ts': ['util/self.ts'],
    });
    assert.deepEqual(layerViolations(g), []);
    assert.deepEqual(importCycles(g), [['analytics/c.ts', 'lake/a.ts', 'recommend/b.ts'], ['util/self.ts']]);
    const lines = importGraphViolations(g);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /cycle of 3 file\(s\): analytics\/c\.ts, lake\/a\.ts, recommend\/b\.ts/);
    assert.match(lines[0]!, /lake\/a\.ts → recommend\/b\.ts; recommend\/b\.ts → analytics\/c\.ts/);
  });

  it('passes a clean graph: downward and same-layer edges, shared dependencies without a circle', () => {
    const g = graph({
      'cli/main.ts': ['server/app.ts', 'log/open-log.ts', 'config.ts'],
      'server/app.ts': ['recommend/serving.ts', 'lake/query.ts'],
      'recommend/serving.ts': ['lake/query.ts', 'movies/movie.ts'],
      'lake/query.ts': ['engine/pipeline.ts'],
      'movies/movie.ts': ['events/codec.ts'],
      'engine/pipeline.ts': ['events/codec.ts', 'log/types.ts'],
      'events/codec.ts': ['log/types.ts'],
      'log/open-log.ts': ['log/types.ts', 'config.ts'],
      'log/types.ts': ['util/errors.ts'],
      'util/errors.ts': [],
      'config.ts': ['util/errors.ts'],
    });
    assert.deepEqual(importGraphViolations(g), []);
  });
});
