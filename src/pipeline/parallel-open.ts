/**
 * Where restore and verify decode: on worker threads (FrameRunPool, the default on a machine with
 * two or more cores) or on the main thread (`threads: 0`, and single-core hosts).
 */
import { availableParallelism } from 'node:os';
import { FrameRunPool } from '../workers/frame-run-pool.js';

export interface DecodeOptions {
  /**
   * Worker threads that read, check, decode and write whole runs of frames; 0 = main thread only.
   * Given: a pool of that many threads for this operation, closed when it ends. Default: one
   * process-wide pool of availableParallelism() threads, at most 8 (none on a single core), started on first
   * use and kept (its threads do not keep the process alive): a thread costs ~0.1–0.3 CPU-s to
   * start, which repeated restores and verifies in one process should pay once.
   */
  readonly threads?: number;
  /** A running pool to use (and leave running), e.g. shared by a restore and a verify; overrides `threads`. */
  readonly pool?: FrameRunPool;
  /** Stops the operation between runs of frames: it fails with DM_ERR_ABORTED (and writes no output). */
  readonly signal?: AbortSignal;
}

/**
 * The pool to decode on, and whether this operation owns (and must close) it. Call it before
 * loading manifests: the threads boot meanwhile.
 */
let processPool: FrameRunPool | undefined;

/**
 * Threads of the default pool, at most: each holds a read buffer of up to ~16 MiB plus one block,
 * and past a few threads a restore is bound by the disk, not by decoding.
 */
const MAX_DEFAULT_THREADS = 8;

export function choosePool(o: DecodeOptions): { pool: FrameRunPool | undefined; owned: boolean } {
  if (o.pool) return { pool: o.pool, owned: false };
  const cores = availableParallelism();
  if (o.threads === undefined) {
    if (cores < 2) return { pool: undefined, owned: false };
    processPool ??= new FrameRunPool({ threads: Math.min(cores, MAX_DEFAULT_THREADS) });
    return { pool: processPool, owned: false };
  }
  const n = Math.min(o.threads, cores * 2);
  return { pool: n > 0 ? new FrameRunPool({ threads: n }) : undefined, owned: true };
}

/**
 * Starts the default pool's threads now (no-op on a single core or when it runs already): jobs call
 * it before opening the repository, so thread start-up overlaps the password's key derivation.
 */
export function startDefaultPool(): void {
  choosePool({});
}
