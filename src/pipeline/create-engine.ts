/**
 * Picks the seal engine: the own addon's native compute threads where they cover the job (levels
 * none and optimal on x86-64; workers/native-pool.ts), else the BlockPool's worker threads for
 * `threads` ≥ 1, and inline compute for 0 (tests, tiny disks, single-thread baselines).
 */
import type { CompressionLevel } from '../core/blob.js';
import { dmError } from '../errors.js';
import { NativeBlockPool, nativeFits } from '../workers/native-pool.js';
import { BlockPool, type BlockCompute } from '../workers/pool.js';
import { inlineEngine } from './inline-engine.js';
import { poolEngine } from './pool-engine.js';
import type { SealConfig, SealEngine } from './seal-engine.js';

/** 'auto': native where nativeFits, else worker threads; the others force one (benchmarks, tests). */
export type ComputeEngine = 'auto' | 'native' | 'workers';

/**
 * Starts the compute ahead of the engine: a job starts it first thing, so worker threads load
 * their modules while the main thread opens the image, the repository (scrypt) and analyses the
 * volumes (the native engine has nothing to start). Undefined for `threads` 0 (inline).
 */
export function startPool(
  threads: number,
  maxInFlight: number,
  level: CompressionLevel,
  engine: ComputeEngine = 'auto',
): BlockCompute | undefined {
  if (threads <= 0) return undefined;
  const native = engine === 'workers' ? undefined : nativeFits(level, threads);
  if (native) return new NativeBlockPool(threads, native);
  if (engine === 'native')
    throw dmError(
      'DM_ERR_ARG_INVALID',
      `the native engine cannot run level ${level} here (it needs the addon built on x86-64, and level none or optimal)`,
      { field: 'tuning.engine' },
    );
  return new BlockPool({ threads, maxInFlight });
}

/** An engine on `pool` (started by startPool; its owner closes it), or inline without one. */
export function engineOn(config: SealConfig, pool: BlockCompute | undefined): SealEngine {
  return pool ? poolEngine(config, pool, false) : inlineEngine(config);
}
