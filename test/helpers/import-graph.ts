/**
 * The relative-import graph of a source tree, and its cycles between files and between top-level
 * folders. Every import counts, type-only ones too: a cycle of types still ties the files together.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** import/export … from '…', import '…' and import('…'), relative specifiers only. */
const SPECIFIER =
  /(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** File → the files of the tree it imports (paths relative to `root`, with '/'). */
export function importGraph(root: string): Map<string, Set<string>> {
  const abs = resolve(root);
  const name = (p: string) => relative(abs, p).split(sep).join('/');
  const files = sourceFiles(abs);
  const known = new Set(files.map(name));
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    const to = new Set<string>();
    for (const m of readFileSync(f, 'utf8').matchAll(SPECIFIER)) {
      const target = name(resolve(dirname(f), m[1] ?? m[2] ?? m[3]!).replace(/\.js$/, '.ts'));
      if (known.has(target)) to.add(target);
    }
    graph.set(name(f), to);
  }
  return graph;
}

/** The strongly connected components with more than one node (Tarjan), each sorted. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The graph between top-level folders (a file at the top counts as its own node). */
export function folderGraph(files: ReadonlyMap<string, ReadonlySet<string>>): Map<string, Set<string>> {
  const top = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : f);
  const graph = new Map<string, Set<string>>();
  for (const [from, targets] of files) {
    const a = top(from);
    if (!graph.has(a)) graph.set(a, new Set());
    for (const t of targets) if (top(t) !== a) graph.get(a)!.add(top(t));
  }
  return graph;
}
