/**
 * BlockPool options, their defaults and validation, and where the worker entry lives.
 */
import { availableParallelism } from 'node:os';
import { dmError } from '../errors.js';

/**
 * Blocks per message. Measured with bench/pool-throughput.ts (2 threads, 512 MiB of mixed data,
 * optimal + GCM, on the shared 2-core machines): CPU efficiency (raw bytes per CPU-second of the
 * whole process vs the bare stages) 62–78 % at batch 1, 93–98 % at 4, 93–101 % at 8. Larger
 * batches only grow the ring ((maxInFlight + 1) × batch slots of 2 × (block + 16) bytes) and
 * latency, so 4.
 */
export const DEFAULT_BATCH_BLOCKS = 4;

/**
 * The most compute threads a job may ask for. Each worker thread is a Node environment of its own
 * (~10 MiB and ~100 ms to boot), and the native engine's pool takes at most 1024; 256 is beyond
 * any proxy's useful parallelism yet far from exhausting memory or the native limit.
 */
export const MAX_COMPUTE_THREADS = 256;

export interface BlockPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  readonly threads?: number;
  /** Batches running or queued before canSubmit() turns false; default 2 × threads. */
  readonly maxInFlight?: number;
  /** Blocks per batch the pipeline should send (advisory; exposed as `batchSize`). */
  readonly batchSize?: number;
}

export interface ResolvedOptions {
  readonly threads: number;
  readonly maxInFlight: number;
  readonly batchSize: number;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw dmError('DM_ERR_ARG_INVALID', `BlockPool option ${name} must be a positive integer, got ${value}`, {
      field: name,
    });
  }
  return value;
}

export function resolveOptions(o: BlockPoolOptions): ResolvedOptions {
  const threads = positiveInt(o.threads, availableParallelism(), 'threads');
  return {
    threads,
    maxInFlight: positiveInt(o.maxInFlight, 2 * threads, 'maxInFlight'),
    batchSize: positiveInt(o.batchSize, DEFAULT_BATCH_BLOCKS, 'batchSize'),
  };
}

/** workerData of BlockPool threads: block-worker.ts listens only when started with it. */
export const BLOCK_WORKER_DATA = 'datamover:block-worker';
