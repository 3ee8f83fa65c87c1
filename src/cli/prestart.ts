/**
 * `datamover backup`: boot the compute threads before anything else runs (prestartComputeThreads),
 * so they load on the idle core while this thread requires commander, parses and validates the
 * options, opens the image and the repository and analyses the volumes (~100 ms here; the threads
 * took ~100 ms to boot after backup() started them). A job on the native engine has no threads to
 * boot (prestartComputeThreads decides). Only the thread count and the compression level are read
 * from argv, the way commander reads them; anything unusual (no count, a bad one, 0 = inline, an
 * unknown level) starts nothing and leaves the errors to the real parse.
 */
import { COMPRESSION_LEVELS, prestartComputeThreads, type CompressionLevel } from '../index.js';

/** The last value of `--flag v` / `--flag=v` before `--`. */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === flag) value = argv[i + 1];
    else if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
  }
  return value;
}

/** The --threads value of a backup command line: a count, 'default', or 'none' (do not prestart). */
export function prestartCount(argv: readonly string[]): number | 'default' | 'none' {
  if (argv[2] !== 'backup') return 'none';
  const value = flagValue(argv, '--threads');
  if (value === undefined) return 'default';
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 ? n : 'none';
}

/** The --compression level of a command line (default optimal), or undefined when unknown. */
export function prestartLevel(argv: readonly string[]): CompressionLevel | undefined {
  const value = flagValue(argv, '--compression') ?? 'optimal';
  return COMPRESSION_LEVELS.find((l) => l === value);
}

export function prestartFor(argv: readonly string[]): void {
  const count = prestartCount(argv);
  const level = prestartLevel(argv);
  if (count === 'none' || level === undefined) return;
  if (count === 'default') prestartComputeThreads(undefined, level);
  else prestartComputeThreads(count, level);
}
