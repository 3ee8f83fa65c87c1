/**
 * Options of the VHDX writer, validated once at the boundary (createVhdx). Everything past this
 * file works on a ResolvedWriteOptions and never re-checks.
 */
import { dmError } from '../../../errors.js';
import { MAX_BLOCK_SIZE, MAX_VIRTUAL_SIZE, MIN_BLOCK_SIZE, MiB } from '../format/constants.js';

export type SectorSize = 512 | 4096;
export type VhdxSubformat = 'dynamic' | 'fixed';

export interface VhdxWriteOptions {
  /** Virtual disk size in bytes, a multiple of the logical sector size. Defaults to the parent's. */
  readonly virtualSize?: number;
  /** Power of two from 1 to 256 MiB. Default DEFAULT_BLOCK_SIZE (32 MiB, what Hyper-V uses). */
  readonly blockSize?: number;
  /** Default 'dynamic'. A differencing child (parent set) is always dynamic. */
  readonly subformat?: VhdxSubformat;
  /** Default 512, or the parent's for a differencing child (they must match). */
  readonly logicalSectorSize?: SectorSize;
  /** Default 4096 (Hyper-V's default), never below the logical sector size. */
  readonly physicalSectorSize?: SectorSize;
  /** Makes a differencing child of the VHDX at this path. */
  readonly parent?: { readonly path: string };
  /** Diagnostic creator string in the file type identifier. */
  readonly creator?: string;
  /**
   * Create the file with O_EXCL: an existing file at `path` fails the call (DM_ERR_IO_OPEN) and is
   * left untouched, instead of being truncated. Restore and convert write their temp files so.
   */
  readonly exclusive?: boolean;
}

export interface ResolvedWriteOptions {
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly subformat: VhdxSubformat;
  readonly logicalSectorSize: SectorSize;
  readonly physicalSectorSize: SectorSize;
  readonly parentPath: string | undefined;
  readonly creator: string;
}

/** Hyper-V's usual dynamic-disk block size; qemu picks 8–32 MiB by size (formats.md §1.10). */
export const DEFAULT_BLOCK_SIZE = 32 * MiB;
export const DEFAULT_PHYSICAL_SECTOR_SIZE: SectorSize = 4096;
export const DEFAULT_CREATOR = 'datamover';

/** What the writer learns from the parent before validating a child's options. */
export interface ParentFacts {
  readonly virtualSize: number;
  readonly logicalSectorSize: SectorSize;
}

function bad(field: string, message: string): never {
  throw dmError('DM_ERR_VHDX_WRITE_OPTION', message, { field });
}

function isSectorSize(v: unknown): v is SectorSize {
  return v === 512 || v === 4096;
}

export function resolveWriteOptions(opts: VhdxWriteOptions, parent?: ParentFacts): ResolvedWriteOptions {
  const subformat = opts.subformat ?? 'dynamic';
  if (subformat !== 'dynamic' && subformat !== 'fixed')
    bad('subformat', `subformat must be 'dynamic' or 'fixed', got ${String(subformat)}`);
  if (opts.parent && subformat === 'fixed')
    bad('subformat', 'a differencing child cannot be fixed (LeaveBlockAllocated is ignored with a parent)');

  const logical = opts.logicalSectorSize ?? parent?.logicalSectorSize ?? 512;
  if (!isSectorSize(logical))
    bad('logicalSectorSize', `logical sector size must be 512 or 4096, got ${logical}`);
  if (parent && parent.logicalSectorSize !== logical)
    bad(
      'logicalSectorSize',
      `logical sector size ${logical} differs from the parent's ${parent.logicalSectorSize}`,
    );
  const physical = opts.physicalSectorSize ?? (Math.max(logical, DEFAULT_PHYSICAL_SECTOR_SIZE) as SectorSize);
  if (!isSectorSize(physical))
    bad('physicalSectorSize', `physical sector size must be 512 or 4096, got ${physical}`);
  if (physical < logical)
    bad('physicalSectorSize', `physical sector size ${physical} is below the logical ${logical}`);

  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (
    !Number.isSafeInteger(blockSize) ||
    blockSize < MIN_BLOCK_SIZE ||
    blockSize > MAX_BLOCK_SIZE ||
    (blockSize & (blockSize - 1)) !== 0
  )
    bad('blockSize', `block size ${blockSize} is not a power of two from 1 MiB to 256 MiB`);

  const virtualSize = opts.virtualSize ?? parent?.virtualSize;
  if (virtualSize === undefined) bad('virtualSize', 'virtual size is required without a parent');
  if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0 || virtualSize > MAX_VIRTUAL_SIZE)
    bad('virtualSize', `virtual size ${virtualSize} must be a whole number of bytes from 1 to 64 TiB`);
  if (virtualSize % logical !== 0)
    bad('virtualSize', `virtual size ${virtualSize} is not a multiple of the ${logical}-byte sector`);

  const creator = opts.creator ?? DEFAULT_CREATOR;
  // The identifier holds 512 bytes of UTF-16LE.
  if (typeof creator !== 'string' || creator.length > 256)
    bad('creator', 'creator must be a string of at most 256 UTF-16 code units');

  return {
    virtualSize,
    blockSize,
    subformat,
    logicalSectorSize: logical,
    physicalSectorSize: physical,
    parentPath: opts.parent?.path,
    creator,
  };
}
