/**
 * Picks the seal engine: the BlockPool's worker threads for `threads` ≥ 1, inline compute for 0
 * (tests, tiny disks, single-thread baselines).
 */
import { BlockPool } from '../workers/pool.js';
import { inlineEngine } from './inline-engine.js';
import { poolEngine } from './pool-engine.js';
import type { SealConfig, SealEngine } from './seal-engine.js';

/**
 * Starts the compute threads ahead of the engine: a job starts them first thing, so the workers
 * load their modules while the main thread opens the image, the repository (scrypt) and analyses
 * the volumes. Undefined for `threads` 0 (inline).
 */
export function startPool(threads: number, maxInFlight: number): BlockPool | undefined {
  return threads <= 0 ? undefined : new BlockPool({ threads, maxInFlight });
}

/** An engine on `pool` (started by startPool; its owner closes it), or inline without one. */
export function engineOn(config: SealConfig, pool: BlockPool | undefined): SealEngine {
  return pool ? poolEngine(config, pool, false) : inlineEngine(config);
}
