/**
 * The interface every disk image reader implements (VHDX, differencing chains, raw). Later stages
 * (planner, block reader, restore) see only this, never a format.
 */
import type { ReadMapper } from './read-map.js';

/** How a byte range of the virtual disk is backed. All three kinds except `present` read as zeros. */
export type ExtentKind =
  /** data stored in the image (or a parent): must be read */
  | 'present'
  /** explicitly zero (VHDX ZERO / UNMAPPED / UNDEFINED): never read */
  | 'zero'
  /** never written anywhere in the chain (NOT_PRESENT, sparse hole): never read */
  | 'absent';

export interface Extent {
  readonly offset: number;
  readonly length: number;
  readonly kind: ExtentKind;
}

export type ImageFormat = 'vhdx' | 'raw';

export interface DiskSource {
  /** Path of the top image (the child, for a chain). */
  readonly path: string;
  readonly format: ImageFormat;
  /** Virtual disk size in bytes (< 2^53; VHDX caps it at 64 TiB). */
  readonly virtualSize: number;
  readonly logicalSectorSize: 512 | 4096;
  readonly physicalSectorSize: 512 | 4096;
  /**
   * Positional read of `length` bytes at virtual `offset` into `buf[bufOffset..]`. Never allocates per
   * call; reads past the virtual end are an error (DM_ERR_SOURCE_RANGE). Holes read as zeros.
   */
  read(buf: Uint8Array, offset: number, length?: number, bufOffset?: number): Promise<void>;
  /**
   * Allocation map of [offset, offset+length) (default: the whole disk), in ascending order, adjacent
   * extents of the same kind coalesced, covering the range exactly.
   */
  extents(offset?: number, length?: number): Iterable<Extent>;
  /**
   * Where the bytes are, so that worker threads can read them themselves; undefined when reads
   * need this thread (e.g. a replayed VHDX log overlays the file in memory).
   */
  readMapper?(): ReadMapper | undefined;
  close(): Promise<void>;
}
