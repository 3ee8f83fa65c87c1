/**
 * Whether a job's compute can run on the own addon's native engine (native-pool.ts). Kept apart
 * from the pool so the CLI's start-up graph (prestart) can ask without loading the seal code.
 */
import type { CompressionLevel } from '../core/blob.js';
import { ownAddon, type ComputePoolHandle, type SealBatch } from '../core/native.js';

/** sealBatch's level argument: the codecs seal-batch.c implements. */
export const NATIVE_LEVELS: Partial<Record<CompressionLevel, number>> = { none: 0, optimal: 2 };

/** The addon's native engine: compute threads and the batch sealer that runs on them. */
export interface NativeCompute {
  readonly sealBatch: SealBatch;
  readonly computePool: (threads: number) => ComputePoolHandle;
  readonly closeComputePool: (pool: ComputePoolHandle) => void;
}

/**
 * The native engine when it can run a job at `level` on `threads` threads here: a level it
 * implements, and an addon built with it (x86-64 with SSE4.2).
 */
export function nativeFits(level: CompressionLevel, threads: number): NativeCompute | undefined {
  if (NATIVE_LEVELS[level] === undefined || threads < 1) return undefined;
  const a = ownAddon();
  return a?.sealBatch && a.computePool && a.closeComputePool
    ? { sealBatch: a.sealBatch, computePool: a.computePool, closeComputePool: a.closeComputePool }
    : undefined;
}
