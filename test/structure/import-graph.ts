/**
 * The rules of src/'s import graph, checked by import-graph.test.ts: files import only from their
 * own layer or lower ones, and no files import each other in a circle. Files are named by their
 * path under src/ (`log/sqlite/sqlite-log.ts`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** file → the files it imports (relative specifiers resolved to files under src/). */
export type ImportGraph = Map<string, string[]>;

/** Top to bottom. Folders on one line form one layer: they may import each other (cycles aside). */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['server'],
  ['pipelines'],
  ['analytics', 'recommend', 'lake'],
  ['movies'],
  ['engine'],
  ['events'],
  ['log'],
  ['util'],
];

/** The layer's rank (higher is lower down), or null for a folder no layer names. */
export function layerRank(file: string): number | null {
  const parts = file.split('/');
  // A file directly under src/ (like config.ts) is a utility.
  const folder = parts.length === 1 ? 'util' : parts[0]!;
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  return rank < 0 ? null : rank;
}

/** Every module specifier a file imports: static, type-only, re-exports, dynamic `import()` and `import('…')` types. */
export function importSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const e = node.moduleReference.expression;
      if (ts.isStringLiteral(e)) out.push(e.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) out.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    // `new URL('./x.js', import.meta.url)` (a worker's entry) is an ordinary call: not an import.
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/**
 * The file a relative specifier names (`./x.js` → `x.ts`, a folder → its `index.ts`), or null for
 * packages and for files outside `files` (JSON, assets, outside src/).
 */
export function resolveSpecifier(from: string, specifier: string, files: ReadonlySet<string>): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [base.replace(/\.(m|c)?js$/, '.$1ts'), base, `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => files.has(c)) ?? null;
}

/** The import graph of every `.ts` file under `srcDir`. */
export function readImportGraph(srcDir: string): ImportGraph {
  const paths = listTs(srcDir);
  const files = new Set(paths.map((p) => relative(srcDir, p).split(sep).join('/')));
  const graph: ImportGraph = new Map();
  for (const path of paths) {
    const file = relative(srcDir, path).split(sep).join('/');
    const targets = importSpecifiers(path, readFileSync(path, 'utf8'))
      .map((s) => resolveSpecifier(file, s, files))
      .filter((t): t is string => t !== null);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

function listTs(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`no such directory: ${dir}`);
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTs(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Edges `from → to` into a higher layer, and files in a folder no layer names. */
export function layerViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const fromRank = layerRank(from);
    if (fromRank === null) {
      out.push(`${from}: its folder is in no layer (add it to LAYERS)`);
      continue;
    }
    for (const to of targets) {
      const toRank = layerRank(to);
      if (toRank !== null && toRank < fromRank) out.push(`${from} → ${to} (imports a higher layer)`);
    }
  }
  return out;
}

/**
 * Files that import each other in a circle: the strongly connected components (Tarjan's
 * algorithm) of more than one file, or of one file importing itself; each sorted, in file order.
 */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  // The recursion is as deep as the longest import chain: a few dozen files.
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One line a cycle: its files, then the edges that close it. */
export function cycleViolations(graph: ImportGraph): string[] {
  return importCycles(graph).map((files) => {
    const inCycle = new Set(files);
    const edges = files.flatMap((from) => (graph.get(from) ?? []).filter((to) => inCycle.has(to)).map((to) => `${from} → ${to}`));
    return `cycle of ${files.length} file(s): ${files.join(', ')} — edges: ${edges.join('; ')}`;
  });
}

/** Every violation of both rules, one line each; empty when the graph is clean. */
export function importGraphViolations(graph: ImportGraph): string[] {
  return [...layerViolations(graph), ...cycleViolations(graph)];
}

/** src/ of the repo the tests run in (they run with cwd = the repo root, from dist/). */
export function srcDir(): string {
  return join(process.cwd(), 'src');
}
