/** Test-only locators for byte-level corruption of NTFS images (records and attributes on disk). */
import { openNtfsVolume } from '../../../src/volume/ntfs/volume.js';
import type { NtfsVolume } from '../../../src/volume/ntfs/volume.js';
import { memorySource } from './sources.js';

export async function openImage(
  image: Uint8Array,
  lss: 512 | 4096 = 512,
  offset = 0,
  length = image.length - offset,
): Promise<NtfsVolume> {
  return openNtfsVolume(memorySource(image, lss), offset, length);
}

const rd16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const rd32 = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** Disk offset of attribute `type` (with `name`, by length only) in the on-disk record at `rec`. */
export function attrOffset(image: Uint8Array, rec: number, type: number, nameLength = 0): number {
  let pos = rec + rd16(image, rec + 20);
  for (let i = 0; i < 64; i++) {
    const t = rd32(image, pos);
    if (t === 0xffffffff) break;
    if (t === type && image[pos + 9] === nameLength) return pos;
    pos += rd32(image, pos + 4);
  }
  throw new Error(`attribute 0x${type.toString(16)} not found in record at ${rec}`);
}

export function write64(b: Uint8Array, o: number, v: number): void {
  for (let i = 0; i < 8; i++) {
    b[o + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** True when byte `o` of a record at `rec` is a fixup-protected sector tail (the mutation would be undone). */
export function isSectorTail(rec: number, o: number): boolean {
  const rel = o - rec;
  return rel % 512 === 510 || rel % 512 === 511;
}
