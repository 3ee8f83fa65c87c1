/** Update-sequence ("multi-sector transfer") fixups for FILE and INDX records (formats.md §2.3). */
import { dmError } from '../../errors.js';
import type { ErrorLocation } from '../../errors.js';
import { u16 } from '../bytes.js';

/** The fixup stride is always 512 bytes, whatever the sector size. */
const STRIDE = 512;

/**
 * Validates and applies the fixups of the record in `rec` (its full size) in place. A torn write
 * (a sector tail that does not carry the update sequence number) throws DM_ERR_NTFS_FIXUP.
 */
export function applyFixups(rec: Uint8Array, where: ErrorLocation): void {
  const fail = (msg: string, field: string): never => {
    throw dmError('DM_ERR_NTFS_FIXUP', msg, { ...where, field });
  };
  const size = rec.length;
  if (size % STRIDE !== 0 || size === 0) fail(`record size ${size} is not a multiple of 512`, 'size');
  const usaOfs = u16(rec, 4);
  const usaCount = u16(rec, 6);
  if (usaOfs % 2 !== 0 || usaCount !== 1 + size / STRIDE || usaOfs + 2 * usaCount > STRIDE - 2) {
    fail(`update sequence array (offset ${usaOfs}, count ${usaCount}) invalid`, 'usa_ofs');
  }
  const usn = u16(rec, usaOfs);
  for (let i = 1; i < usaCount; i++) {
    const tail = i * STRIDE - 2;
    if (u16(rec, tail) !== usn)
      fail(`sector ${i - 1} tail does not match the update sequence number`, `USA[${i}]`);
    rec[tail] = rec[usaOfs + 2 * i]!;
    rec[tail + 1] = rec[usaOfs + 2 * i + 1]!;
  }
}
