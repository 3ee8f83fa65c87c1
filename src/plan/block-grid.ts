/**
 * The job's fixed block grid on virtual-disk offsets (design.md §4): block i covers
 * [i × blockSize, min((i + 1) × blockSize, virtualSize)); only the last block may be short.
 * Pure arithmetic, nothing per block is materialised (a 64 TiB disk is just two numbers).
 */
import { dmError } from '../errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Veeam's storage-optimization sizes: WAN, LAN, Local (default), Local large, extra large. */
export const BLOCK_SIZES: readonly number[] = [256 * KiB, 512 * KiB, 1 * MiB, 4 * MiB, 8 * MiB];

/** 1 MiB: Veeam's "Local target" default, and large enough that per-block overheads are noise. */
export const DEFAULT_BLOCK_SIZE = 1 * MiB;

export interface BlockGrid {
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly blockCount: number;
  /** Virtual offset where block `index` starts. */
  start(index: number): number;
  /** Length of block `index` (blockSize, or less for the last block). */
  length(index: number): number;
  /** Index of the block holding byte `offset`. */
  indexOf(offset: number): number;
}

export function isBlockSize(n: number): boolean {
  return BLOCK_SIZES.includes(n);
}

/** Throws DM_ERR_ARG_SIZE (a size out of range, as the catalog says) unless `n` is one of BLOCK_SIZES. */
export function checkBlockSize(n: number): number {
  if (!isBlockSize(n))
    throw dmError('DM_ERR_ARG_SIZE', `block size ${n} is not one of 256KiB, 512KiB, 1MiB, 4MiB, 8MiB`, {
      field: 'blockSize',
    });
  return n;
}

export function blockGrid(virtualSize: number, blockSize: number = DEFAULT_BLOCK_SIZE): BlockGrid {
  checkBlockSize(blockSize);
  if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0)
    throw dmError('DM_ERR_ARG_INVALID', `virtual size ${virtualSize} must be a positive whole number`, {
      field: 'virtualSize',
    });
  const blockCount = Math.ceil(virtualSize / blockSize);
  return {
    virtualSize,
    blockSize,
    blockCount,
    start: (index) => index * blockSize,
    length: (index) => Math.min(blockSize, virtualSize - index * blockSize),
    indexOf: (offset) => Math.floor(offset / blockSize),
  };
}
