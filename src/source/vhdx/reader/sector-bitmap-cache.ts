/**
 * Sector-bitmap slices of PARTIALLY_PRESENT blocks (formats.md §1.8): one bit per logical sector,
 * LSB first, 1 = this file, 0 = the parent. Slices are read on first use and kept in a small cache;
 * a cached slice is never overwritten in place, so a read still scanning an evicted slice is safe.
 */
import type { BatGeometry } from '../format/bat.js';
import type { BatTable } from './bat-table.js';
import { SECTOR_BITMAP_BLOCK_SIZE } from '../format/constants.js';
import type { ImageFile } from './image-file.js';

const MAX_CACHED_BYTES = 4 * 1024 * 1024;

export class SectorBitmapCache {
  private readonly slices = new Map<number, Uint8Array>();
  private readonly sliceBytes: number;
  private readonly maxSlices: number;

  constructor(
    private readonly file: ImageFile,
    private readonly bat: BatTable,
    private readonly g: BatGeometry,
  ) {
    this.sliceBytes = SECTOR_BITMAP_BLOCK_SIZE / g.chunkRatio;
    this.maxSlices = Math.max(4, Math.floor(MAX_CACHED_BYTES / this.sliceBytes));
  }

  /** The bitmap slice of payload block `block` (its SB entry was validated as present at open). */
  slice(block: number): Uint8Array {
    const hit = this.slices.get(block);
    if (hit) return hit;
    const chunk = Math.floor(block / this.g.chunkRatio);
    const index = chunk * (this.g.chunkRatio + 1) + this.g.chunkRatio;
    const sbOffset = this.bat.fileOffset(index);
    const buf = new Uint8Array(this.sliceBytes);
    const at = sbOffset + (block % this.g.chunkRatio) * this.sliceBytes;
    this.file.readSync(buf, 0, this.sliceBytes, at, `sector bitmap of block ${block}`);
    if (this.slices.size >= this.maxSlices) this.slices.delete(this.slices.keys().next().value!);
    this.slices.set(block, buf);
    return buf;
  }
}

/** Index of the first sector ≥ `from` (and < `to`) whose bit differs from `bit`, or `to`. */
export function runEnd(bits: Uint8Array, from: number, to: number, bit: number): number {
  const skip = bit ? 0xff : 0x00;
  let s = from;
  while (s < to) {
    if ((s & 7) === 0 && s + 8 <= to && bits[s >>> 3] === skip) {
      s += 8;
      continue;
    }
    if (((bits[s >>> 3]! >>> (s & 7)) & 1) !== bit) return s;
    s++;
  }
  return to;
}

export function bitAt(bits: Uint8Array, sector: number): number {
  return (bits[sector >>> 3]! >>> (sector & 7)) & 1;
}
