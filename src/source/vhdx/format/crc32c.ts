/** CRC-32C (Castagnoli) as VHDX uses it (formats.md §1.2): zero the field, CRC the whole structure. */
import { crc32cNative } from '../../../core/native.js';
import { dataView } from './bytes.js';

export function crc32c(bytes: Uint8Array): number {
  return crc32cNative()(bytes) >>> 0;
}

/** Zeroes the u32 at checksumOffset, CRCs the whole buffer and stores the result there (LE). */
export function sealChecksum(buf: Uint8Array, checksumOffset: number): void {
  const dv = dataView(buf);
  dv.setUint32(checksumOffset, 0, true);
  dv.setUint32(checksumOffset, crc32c(buf), true);
}

/** True when the stored checksum matches; the buffer is left unchanged. */
export function checksumMatches(buf: Uint8Array, checksumOffset: number): boolean {
  const dv = dataView(buf);
  const stored = dv.getUint32(checksumOffset, true);
  dv.setUint32(checksumOffset, 0, true);
  const actual = crc32c(buf);
  dv.setUint32(checksumOffset, stored, true);
  return stored === actual;
}
