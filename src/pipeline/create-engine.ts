/**
 * Picks the seal engine: the worker pool for `threads` ≥ 1, inline compute for 0 (tests, tiny
 * disks, single-thread baselines).
 */
import { inlineEngine } from './inline-engine.js';
import { threadEngine } from './thread-engine.js';
import type { SealConfig, SealEngine } from './seal-engine.js';

export async function createEngine(config: SealConfig, threads: number): Promise<SealEngine> {
  if (threads <= 0) return inlineEngine(config);
  // The compute engineer's piscina BlockPool (src/workers/pool.ts) replaces this when it lands.
  return threadEngine(config, threads);
}
