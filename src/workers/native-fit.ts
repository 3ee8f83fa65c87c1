/**
 * Whether a job's compute can run on the own addon's sealBatch (native-pool.ts). Kept apart from
 * the pool so the CLI's start-up graph (prestart) can ask without loading the seal code.
 */
import type { CompressionLevel } from '../core/blob.js';
import { ownAddon, type SealBatch } from '../core/native.js';

/** sealBatch's level argument: the codecs seal-batch.c implements. */
export const NATIVE_LEVELS: Partial<Record<CompressionLevel, number>> = { none: 0, optimal: 2 };

/** libuv's pool size as this process started it (UV_THREADPOOL_SIZE, default 4). */
function uvPoolSize(): number {
  const n = Number(process.env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

/**
 * The addon's sealBatch when it can run a job at `level` on `threads` threads here: a level it
 * implements, an addon built with it (x86-64, SSE4.2), and a libuv pool with a thread to spare for
 * file I/O beside `threads` batches.
 */
export function nativeFits(level: CompressionLevel, threads: number): SealBatch | undefined {
  if (NATIVE_LEVELS[level] === undefined || threads < 1 || threads >= uvPoolSize()) return undefined;
  return ownAddon()?.sealBatch;
}
