/**
 * File layout of a VHDX we write, the way qemu lays one out (formats.md §1.11): the 1 MiB header
 * section, an empty 1 MiB log at 1 MiB, the BAT at 2 MiB, a 1 MiB metadata region after it, then
 * payload blocks (and sector bitmap blocks) 1 MiB-aligned from `dataStart` on.
 */
import { MiB } from '../format/constants.js';
import { batGeometry, batRegionLength } from '../format/bat.js';
import type { ResolvedWriteOptions } from './options.js';

export interface VhdxLayout {
  readonly logOffset: number;
  readonly logLength: number;
  readonly batOffset: number;
  readonly batLength: number;
  readonly metadataOffset: number;
  readonly metadataLength: number;
  /** First payload block (fixed: block i at dataStart + i * blockSize). */
  readonly dataStart: number;
  readonly chunkRatio: number;
  readonly payloadBlocks: number;
  readonly sectorBitmapBlocks: number;
  readonly batEntryCount: number;
}

export const LOG_OFFSET = 1 * MiB;
export const LOG_LENGTH = 1 * MiB;
export const METADATA_LENGTH = 1 * MiB;

export function planLayout(o: ResolvedWriteOptions): VhdxLayout {
  const geo = batGeometry(o.virtualSize, o.blockSize, o.logicalSectorSize, o.parentPath !== undefined);
  const batOffset = LOG_OFFSET + LOG_LENGTH;
  const batLength = batRegionLength(geo);
  const metadataOffset = batOffset + batLength;
  return {
    logOffset: LOG_OFFSET,
    logLength: LOG_LENGTH,
    batOffset,
    batLength,
    metadataOffset,
    metadataLength: METADATA_LENGTH,
    dataStart: metadataOffset + METADATA_LENGTH,
    chunkRatio: geo.chunkRatio,
    payloadBlocks: geo.payloadBlocks,
    sectorBitmapBlocks: geo.sectorBitmapBlocks,
    batEntryCount: geo.entryCount,
  };
}
