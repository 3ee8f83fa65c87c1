/**
 * Picks the seal engine: the own addon's native compute threads where they cover the job (levels
 * none and optimal on x86-64; workers/native-pool.ts), else the BlockPool's worker threads for
 * `threads` ≥ 1, and inline compute for 0 (tests, tiny disks, single-thread baselines).
 */
import type { CompressionLevel } from '../core/blob.js';
import { nativeFor, type ComputeEngine } from '../workers/native-fit.js';
import { NativeBlockPool } from '../workers/native-pool.js';
import { BlockPool, type BlockCompute } from '../workers/pool.js';
import { inlineEngine } from './inline-engine.js';
import { poolEngine } from './pool-engine.js';
import type { SealConfig, SealEngine } from './seal-engine.js';

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
  const native = nativeFor(engine, level, threads);
  return native ? new NativeBlockPool(threads, native) : new BlockPool({ threads, maxInFlight });
}

/** An engine on `pool` (started by startPool; its owner closes it), or inline without one. */
export function engineOn(config: SealConfig, pool: BlockCompute | undefined): SealEngine {
  return pool ? poolEngine(config, pool, false) : inlineEngine(config);
}
