/**
 * Picks the seal engine: the piscina worker pool for `threads` ≥ 1, inline compute for 0 (tests,
 * tiny disks, single-thread baselines). A raw worker_threads engine was measured against the pool
 * (bench/backup-raw-pipeline.ts, 1 GiB, 2 threads): it used 8–10 % more CPU per byte; removed.
 */
import { inlineEngine } from './inline-engine.js';
import { poolEngine } from './pool-engine.js';
import type { SealConfig, SealEngine } from './seal-engine.js';

export function createEngine(config: SealConfig, threads: number, maxInFlight: number): SealEngine {
  return threads <= 0 ? inlineEngine(config) : poolEngine(config, threads, maxInFlight);
}
