/**
 * Whether a job's compute can run on the own addon's native engine (native-pool.ts). Kept apart
 * from the pool so the CLI's start-up graph (prestart) can ask without loading the seal code.
 */
import { CodecId, type CompressionLevel } from '../core/blob.js';
import { ownAddon, type ComputePoolHandle, type NativeFormatCheck, type SealBatch } from '../core/native.js';
import { dmError } from '../errors.js';
import { nativeFormatMismatches } from './native-contract.js';

/** 'auto': native where nativeFits, else worker threads; the others force one (benchmarks, tests). */
export type ComputeEngine = 'auto' | 'native' | 'workers';

/** sealBatch's level argument (the codec id to compress with): the codecs seal-batch.c implements. */
export const NATIVE_LEVELS: Partial<Record<CompressionLevel, number>> = {
  none: CodecId.none,
  optimal: CodecId.lz4,
};

/** The addon's native engine: compute threads and the batch sealer that runs on them. */
export interface NativeCompute {
  readonly sealBatch: SealBatch;
  readonly computePool: (threads: number) => ComputePoolHandle;
  readonly closeComputePool: (pool: ComputePoolHandle) => void;
}

/**
 * The native engine when it can run a job at `level` on `threads` threads here: a level it
 * implements, and an addon built with it (x86-64 with SSE4.2) whose format agrees with the
 * TypeScript layer's (native-contract.ts).
 */
export function nativeFits(level: CompressionLevel, threads: number): NativeCompute | undefined {
  if (NATIVE_LEVELS[level] === undefined || threads < 1) return undefined;
  const a = ownAddon();
  return a?.sealBatch && a.computePool && a.closeComputePool && formatAgrees(a)
    ? { sealBatch: a.sealBatch, computePool: a.computePool, closeComputePool: a.closeComputePool }
    : undefined;
}

/** The addon's format check, once per thread (null: not yet run). */
let formatMismatches: string[] | null = null;

/**
 * Whether the addon's copy of the format agrees with the TypeScript layer; when it does not, one
 * process warning names the differences, and every job runs on the worker threads.
 */
export function formatAgrees(addon: NativeFormatCheck): boolean {
  if (formatMismatches === null) {
    formatMismatches = nativeFormatMismatches(addon);
    if (formatMismatches.length > 0)
      process.emitWarning(
        `the native addon (build/Release/datamover_native.node) does not match the format of this datamover: ${formatMismatches.join('; ')}. Backups run on worker threads (same bytes, slower) until the addon is rebuilt from this version's native/ (npm rebuild).`,
        { code: 'DM_NATIVE_FORMAT_MISMATCH' },
      );
  }
  return formatMismatches.length === 0;
}

/**
 * The native engine a job at `level` on `threads` threads runs on under `engine`, or undefined for
 * worker threads. Forcing 'native' where it cannot run is refused (DM_ERR_ARG_INVALID).
 */
export function nativeFor(
  engine: ComputeEngine,
  level: CompressionLevel,
  threads: number,
): NativeCompute | undefined {
  if (engine === 'workers') return undefined;
  const native = nativeFits(level, threads);
  if (engine === 'native' && !native)
    throw dmError(
      'DM_ERR_ARG_INVALID',
      `the native engine cannot run level ${level} here (it needs the addon built on x86-64, and level none or optimal)`,
      { field: 'tuning.engine' },
    );
  return native;
}
