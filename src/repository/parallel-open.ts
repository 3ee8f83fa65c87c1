/**
 * Where restore and verify decode: on worker threads (FrameRunPool, the default on a machine with
 * two or more cores) or on the main thread (`threads: 0`, and single-core hosts).
 */
import { availableParallelism } from 'node:os';
import { FrameRunPool } from '../workers/frame-run-pool.js';

export interface DecodeOptions {
  /**
   * Worker threads that read, check, decode and write whole runs of frames; 0 = main thread only.
   * Default: availableParallelism() when that is at least 2, else 0.
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
export function choosePool(o: DecodeOptions): { pool: FrameRunPool | undefined; owned: boolean } {
  if (o.pool) return { pool: o.pool, owned: false };
  const cores = availableParallelism();
  const n = Math.min(o.threads ?? (cores >= 2 ? cores : 0), cores * 2);
  return { pool: n > 0 ? new FrameRunPool({ threads: n }) : undefined, owned: true };
}
