// The import graph of lib/ has no cycles, and a folder imports only from folders below it:
//   util < backend, plot < data, model < checkpoint < hub < train, metrics < laws < experiments
//        < findings < cli < lib/index.ts
// Folders on one level do not import each other. A new folder has to be given its level here
// before anything imports it. Type-only imports count: they are part of the design too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../lib/experiments/paths';

const LAYERS: Record<string, number> = {
  util: 0,
  backend: 1, plot: 1,
  data: 2, model: 2,
  checkpoint: 3,
  hub: 4,
  train: 5, metrics: 5,
  laws: 6,
  experiments: 7,
  findings: 8,
  cli: 9,
  '.': 10, // lib/index.ts: the package's entry point
};

type Graph = Map<string, string[]>;

/** Relative module specifiers: import/export ... from, side-effect imports, import(), require(). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]);
  return out.filter((s) => s.startsWith('.'));
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** lib's import graph: file (relative to lib) -> the files it imports. */
function libGraph(lib: string): { graph: Graph; unresolved: string[] } {
  const graph: Graph = new Map();
  const unresolved: string[] = [];
  for (const file of tsFiles(lib)) {
    const deps = new Set<string>();
    for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
      const target = resolve(file, spec);
      if (!target) unresolved.push(`${path.relative(lib, file)}: '${spec}'`);
      else if (target.startsWith(lib + path.sep)) deps.add(path.relative(lib, target));
    }
    graph.set(path.relative(lib, file), [...deps].sort());
  }
  return { graph, unresolved };
}

/** Every cycle's files (strongly connected components of two or more files, or a file importing itself). */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0] : '.');

/** Imports that do not go down: to a folder on the same or a higher level, or from or to a folder with no level. */
function backArrows(graph: Graph, layers: Record<string, number>): string[] {
  const bad: string[] = [];
  for (const [from, deps] of graph) {
    for (const to of deps) {
      const a = folderOf(from), b = folderOf(to);
      if (a === b) continue;
      if (!(a in layers) || !(b in layers)) bad.push(`${from} -> ${to} (give ${!(a in layers) ? a : b} a level in LAYERS)`);
      else if (layers[b] >= layers[a]) bad.push(`${from} -> ${to} (${a} is level ${layers[a]}, ${b} is level ${layers[b]})`);
    }
  }
  return bad;
}

const LIB = path.join(projectRoot(), 'lib');
const { graph, unresolved } = libGraph(LIB);

test('the checks find what they look for (on a made-up graph)', () => {
  const g: Graph = new Map([['metrics/a.ts', ['train/b.ts']], ['train/b.ts', ['metrics/a.ts', 'model/c.ts']], ['model/c.ts', []], ['util/d.ts', ['util/d.ts']]]);
  assert.deepEqual(cycles(g), [['metrics/a.ts', 'train/b.ts'], ['util/d.ts']]);
  assert.deepEqual(backArrows(g, LAYERS), [
    'metrics/a.ts -> train/b.ts (metrics is level 5, train is level 5)',
    'train/b.ts -> metrics/a.ts (train is level 5, metrics is level 5)',
  ]);
  assert.deepEqual(backArrows(new Map([['model/x.ts', ['newdir/y.ts']]]), LAYERS), ['model/x.ts -> newdir/y.ts (give newdir a level in LAYERS)']);
  assert.deepEqual(specifiers("import type { A } from './a';\nimport {\n  B,\n} from '../b';\nexport * from './c';\nconst d = require('./d') as typeof import('./e');\nimport * as fs from 'node:fs';"),
    ['./a', '../b', './c', './d', './e']);
});

test('the import graph of lib/ is read whole', () => {
  assert.deepEqual(unresolved, [], 'imports that resolve to no file');
  assert.ok(graph.size > 100, `${graph.size} files`);
  assert.ok(graph.get('train/evaluate.ts')?.includes('model/pass.ts'), 'train/evaluate.ts imports the chunked pass');
  assert.ok(graph.get('backend/select.ts')?.includes('backend/native.ts'), 'a require() counts');
});

test('lib/ has no import cycles', () => {
  assert.deepEqual(cycles(graph), []);
});

test('every folder of lib/ imports only from folders below it', () => {
  const folders = new Set([...graph.keys()].map(folderOf));
  assert.deepEqual([...folders].filter((f) => !(f in LAYERS)), [], 'folders with no level in LAYERS');
  assert.deepEqual(backArrows(graph, LAYERS), []);
});
