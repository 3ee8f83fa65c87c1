/**
 * BAT geometry and entries (formats.md §1.7). Each run of `chunkRatio` payload entries is followed by
 * one sector-bitmap entry. An entry is u64 LE: state in bits 0–2, reserved bits 3–19, FileOffsetMB in
 * bits 20–63. Entries are read as two u32 halves (no BigInt) because the reader does this per block.
 */
import { dmError } from '../../../errors.js';
import { MiB, SECTORS_PER_CHUNK } from './constants.js';
import type { DecodeContext } from './bytes.js';

export interface BatGeometry {
  blockSize: number;
  logicalSectorSize: number;
  /** Payload blocks per sector-bitmap block: 2^23 * logicalSectorSize / blockSize. */
  chunkRatio: number;
  payloadBlocks: number;
  sectorBitmapBlocks: number;
  /** Entries the BAT region must hold (the last one is a payload entry unless differencing). */
  entryCount: number;
}

export const BAT_ENTRY_SIZE = 8;
const RESERVED_MASK = 0xffff8;

export function batGeometry(
  virtualSize: number,
  blockSize: number,
  logicalSectorSize: number,
  hasParent: boolean,
): BatGeometry {
  const chunkRatio = (SECTORS_PER_CHUNK * logicalSectorSize) / blockSize;
  const payloadBlocks = Math.ceil(virtualSize / blockSize);
  const sectorBitmapBlocks = Math.ceil(payloadBlocks / chunkRatio);
  const entryCount = hasParent
    ? sectorBitmapBlocks * (chunkRatio + 1)
    : payloadBlocks + Math.floor((payloadBlocks - 1) / chunkRatio);
  return { blockSize, logicalSectorSize, chunkRatio, payloadBlocks, sectorBitmapBlocks, entryCount };
}

/** BAT region length a writer allocates for this geometry: whole MiB, at least 1 MiB. */
export function batRegionLength(g: BatGeometry): number {
  return Math.max(MiB, Math.ceil((g.entryCount * BAT_ENTRY_SIZE) / MiB) * MiB);
}

export function payloadEntryIndex(block: number, chunkRatio: number): number {
  return block + Math.floor(block / chunkRatio);
}

export function bitmapEntryIndex(chunk: number, chunkRatio: number): number {
  return chunk * (chunkRatio + 1) + chunkRatio;
}

/** Writes entry `index`: `fileOffset` must be a multiple of 1 MiB (0 for states without data). */
export function writeBatEntry(bat: Uint8Array, index: number, state: number, fileOffset: number): void {
  if (fileOffset % MiB !== 0 || fileOffset < 0)
    throw new RangeError(`BAT offset ${fileOffset} is not a 1 MiB multiple`);
  const at = index * BAT_ENTRY_SIZE;
  const mb = fileOffset / MiB;
  const lo = ((mb & 0xfff) * 0x100000 + (state & 7)) >>> 0;
  const hi = Math.floor(mb / 0x1000) >>> 0;
  bat[at] = lo & 0xff;
  bat[at + 1] = (lo >>> 8) & 0xff;
  bat[at + 2] = (lo >>> 16) & 0xff;
  bat[at + 3] = lo >>> 24;
  bat[at + 4] = hi & 0xff;
  bat[at + 5] = (hi >>> 8) & 0xff;
  bat[at + 6] = (hi >>> 16) & 0xff;
  bat[at + 7] = hi >>> 24;
}

function u32(bat: Uint8Array, at: number): number {
  return (bat[at]! | (bat[at + 1]! << 8) | (bat[at + 2]! << 16) | (bat[at + 3]! << 24)) >>> 0;
}

export function readBatState(bat: Uint8Array, index: number): number {
  return bat[index * BAT_ENTRY_SIZE]! & 7;
}

/**
 * Byte offset of entry `index` (FileOffsetMB << 20). Offsets above 2^53 lose precision, but they lie
 * far past any file end, which the reader checks.
 */
export function readBatOffset(bat: Uint8Array, index: number): number {
  const at = index * BAT_ENTRY_SIZE;
  const lo = u32(bat, at) & 0xfff00000;
  return u32(bat, at + 4) * 0x100000000 + (lo >>> 0);
}

/** Reserved bits 3–19 of entry `index` (must be zero). */
export function batReservedBits(bat: Uint8Array, index: number): number {
  return u32(bat, index * BAT_ENTRY_SIZE) & RESERVED_MASK;
}

/** Throws DM_ERR_VHDX_BAT when entry `index` has reserved bits set (`ctx.offset` = BAT file offset). */
export function validateBatEntryBits(bat: Uint8Array, index: number, ctx: DecodeContext): void {
  const bits = batReservedBits(bat, index);
  if (bits !== 0) {
    throw dmError('DM_ERR_VHDX_BAT', `BAT entry ${index} has reserved bits 0x${bits.toString(16)} set`, {
      file: ctx.file,
      offset: ctx.offset + index * BAT_ENTRY_SIZE,
      field: `BAT[${index}]`,
    });
  }
}
