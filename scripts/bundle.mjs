/**
 * Bundles the compiled entry points (npm run build: tsc emits the declarations, this the JavaScript).
 *
 *   node scripts/bundle.mjs [--outdir dist]
 *
 * Why: Node 20's ESM loader resolves, reads, parses and links each of ~200 modules one by one. The
 * backup job's graph took 46–55 ms to load on the main thread, bundled 10–11 ms, and every
 * compute thread loads its own graph again (2026-12-02, bench/backup-raw-pipeline.ts).
 *
 * Layout: each entry keeps its path (dist/index.js, dist/cli/main.js, dist/workers/*.js); code
 * shared between entries and the lazily imported jobs goes to dist/chunks/, so every module runs
 * once per thread (one DmError class). A chunk sits one folder below dist/ like src/workers/, so
 * worker-entry.ts finds the worker files with the same relative URL in both layouts.
 * npm packages stay external (native bindings resolve from node_modules as before).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : join(root, 'dist');

// Stale chunks of an earlier build into the same folder (npm run build also clears dist/ first).
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [
    'src/index.ts',
    'src/cli/main.ts',
    'src/workers/block-worker.ts',
    'src/workers/frame-run-worker.ts',
  ],
  outbase: 'src',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
});
