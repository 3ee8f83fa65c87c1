/**
 * `datamover backup`: boot the compute threads before anything else runs (prestartComputeThreads),
 * so they load on the idle core while this thread requires commander, parses and validates the
 * options, opens the image and the repository and analyses the volumes (~100 ms here; the threads
 * took ~100 ms to boot after backup() started them). Only the thread count is read from argv, the
 * way commander reads it; anything unusual (no count, a bad one, 0 = inline) starts nothing and
 * leaves the errors to the real parse.
 */
import { prestartComputeThreads } from '../index.js';

/** The --threads value of a backup command line: a count, 'default', or 'none' (do not prestart). */
export function prestartCount(argv: readonly string[]): number | 'default' | 'none' {
  if (argv[2] !== 'backup') return 'none';
  let value: string | undefined;
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--threads') value = argv[i + 1];
    else if (a.startsWith('--threads=')) value = a.slice('--threads='.length);
  }
  if (value === undefined) return 'default';
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 ? n : 'none';
}

export function prestartFor(argv: readonly string[]): void {
  const count = prestartCount(argv);
  if (count === 'default') prestartComputeThreads();
  else if (count !== 'none') prestartComputeThreads(count);
}
