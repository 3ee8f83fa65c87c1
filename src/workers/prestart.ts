/**
 * prestartComputeThreads: boot a backup's compute threads before the backup is called.
 * A compute thread takes ~100 ms to boot (its own Node environment, then block-worker and the
 * native codecs) and the next BlockPool adopts threads started here instead of starting its own.
 * The CLI calls it first thing for `backup`, so the threads boot on the idle core while the main
 * thread loads, parses options, opens the image and the repository and analyses the volumes.
 * Light on purpose (no codecs, no seal code): it is part of every command's start-up graph.
 */
import { availableParallelism } from 'node:os';
import type { CompressionLevel } from '../core/blob.js';
import { nativeFits } from './native-fit.js';
import { BLOCK_WORKER_DATA, MAX_COMPUTE_THREADS } from './pool-options.js';
import { prestartThreads } from './thread-set.js';
import { workerEntry } from './worker-entry.js';

/**
 * Starts `threads` compute threads (default: one per core, as backup() uses) for the next pool of
 * a job at `level`; nothing when that job runs on the native engine (native-fit.ts), which has no
 * threads to boot.
 */
export function prestartComputeThreads(
  threads: number = availableParallelism(),
  level: CompressionLevel = 'optimal',
): void {
  if (
    !Number.isInteger(threads) ||
    threads < 1 ||
    threads > MAX_COMPUTE_THREADS ||
    nativeFits(level, threads)
  )
    return;
  const entry = workerEntry('block-worker');
  prestartThreads({
    threads,
    filename: entry.filename,
    execArgv: entry.execArgv,
    workerData: BLOCK_WORKER_DATA,
  });
}
