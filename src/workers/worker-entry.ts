/**
 * Where a worker thread's entry file is. Compiled (npm run build), it is dist/workers/NAME.js; from
 * sources (vitest, tsx) the .ts beside this file, loaded through tsx.
 *
 * The URL is relative to this module's own location, which is one folder below dist/ in both
 * layouts it runs from: src/workers/ and dist/chunks/ (scripts/bundle.mjs puts shared code there).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type WorkerName = 'block-worker' | 'frame-run-worker';

export function workerEntry(name: WorkerName): { filename: string; execArgv: string[] } {
  const js = new URL(`../workers/${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return { filename: js.href, execArgv: [] };
  const ts = new URL(`../workers/${name}.ts`, import.meta.url);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename: ts.href, execArgv: ['--import', tsx] };
}
