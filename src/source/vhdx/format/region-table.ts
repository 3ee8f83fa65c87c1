/** The region table at 192 KiB (copy at 256 KiB), formats.md §1.5: 64 KiB, CRC-32C over all of it. */
import { dmError } from '../../../errors.js';
import { MAX_REGION_ENTRIES, MiB, REGION_TABLE_SIZE, SIG_REGION_TABLE } from './constants.js';
import { dataView, readAscii, readU64, writeAscii, writeU64, type DecodeContext } from './bytes.js';
import { checksumMatches, sealChecksum } from './crc32c.js';
import { readGuid, writeGuid, type Guid } from './guid.js';

export interface RegionEntry {
  guid: Guid;
  fileOffset: number;
  length: number;
  required: boolean;
}

const CHECKSUM_OFFSET = 4;
const ENTRIES_OFFSET = 16;
const ENTRY_SIZE = 32;

export function encodeRegionTable(entries: readonly RegionEntry[]): Uint8Array {
  if (entries.length > MAX_REGION_ENTRIES) throw new RangeError('too many region entries');
  const buf = new Uint8Array(REGION_TABLE_SIZE);
  const dv = dataView(buf);
  writeAscii(buf, 0, SIG_REGION_TABLE);
  dv.setUint32(8, entries.length, true);
  entries.forEach((e, i) => {
    const at = ENTRIES_OFFSET + i * ENTRY_SIZE;
    writeGuid(buf, at, e.guid);
    writeU64(dv, at + 16, e.fileOffset);
    dv.setUint32(at + 24, e.length, true);
    dv.setUint32(at + 28, e.required ? 1 : 0, true);
  });
  sealChecksum(buf, CHECKSUM_OFFSET);
  return buf;
}

/**
 * Decodes and validates a region table: signature, CRC, entry count, reserved field, 1 MiB
 * alignment, unique GUIDs and no overlaps between regions or with the header section.
 */
export function decodeRegionTable(buf: Uint8Array, ctx: DecodeContext): RegionEntry[] {
  const at = (offset: number, field: string) => ({ file: ctx.file, offset: ctx.offset + offset, field });
  if (buf.length < REGION_TABLE_SIZE)
    throw dmError('DM_ERR_VHDX_REGION_TABLE', 'region table is truncated', at(0, 'RegionTable'));
  const t = buf.length === REGION_TABLE_SIZE ? buf : buf.subarray(0, REGION_TABLE_SIZE);
  if (readAscii(t, 0, 4) !== SIG_REGION_TABLE)
    throw dmError('DM_ERR_VHDX_REGION_TABLE', 'region table signature is not "regi"', at(0, 'Signature'));
  if (!checksumMatches(t, CHECKSUM_OFFSET))
    throw dmError('DM_ERR_VHDX_REGION_TABLE', 'region table CRC-32C does not match', at(4, 'Checksum'));
  const dv = dataView(t);
  const count = dv.getUint32(8, true);
  if (count > MAX_REGION_ENTRIES)
    throw dmError(
      'DM_ERR_VHDX_REGION_TABLE',
      `region table has ${count} entries (max 2047)`,
      at(8, 'EntryCount'),
    );
  if (dv.getUint32(12, true) !== 0)
    throw dmError('DM_ERR_VHDX_REGION_TABLE', 'region table reserved field is not zero', at(12, 'Reserved'));
  const entries: RegionEntry[] = [];
  for (let i = 0; i < count; i++) {
    const off = ENTRIES_OFFSET + i * ENTRY_SIZE;
    const guid = readGuid(t, off);
    const fileOffset = readU64(dv, off + 16);
    const length = dv.getUint32(off + 24, true);
    const field = `RegionEntry[${i}]`;
    if (fileOffset === undefined || fileOffset < MiB || fileOffset % MiB !== 0)
      throw dmError(
        'DM_ERR_VHDX_REGION_TABLE',
        `region ${guid} offset is not a 1 MiB multiple ≥ 1 MiB`,
        at(off + 16, `${field}.FileOffset`),
      );
    if (length === 0 || length % MiB !== 0)
      throw dmError(
        'DM_ERR_VHDX_REGION_TABLE',
        `region ${guid} length ${length} is not a non-zero 1 MiB multiple`,
        at(off + 24, `${field}.Length`),
      );
    if (entries.some((e) => e.guid === guid))
      throw dmError('DM_ERR_VHDX_REGION_TABLE', `region ${guid} appears twice`, at(off, `${field}.Guid`));
    entries.push({ guid, fileOffset, length, required: (dv.getUint32(off + 28, true) & 1) === 1 });
  }
  assertNoOverlap(entries, ctx);
  return entries;
}

function assertNoOverlap(entries: readonly RegionEntry[], ctx: DecodeContext): void {
  const sorted = [...entries].sort((a, b) => a.fileOffset - b.fileOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.fileOffset + prev.length > cur.fileOffset) {
      throw dmError('DM_ERR_VHDX_REGION_OVERLAP', `regions ${prev.guid} and ${cur.guid} overlap`, {
        file: ctx.file,
        offset: cur.fileOffset,
        field: 'RegionTable',
      });
    }
  }
}

/** Byte-identical check of two region tables (for the mismatch warning). */
export function sameRegionTables(a: readonly RegionEntry[], b: readonly RegionEntry[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((e, i) => {
    const o = b[i]!;
    return (
      e.guid === o.guid && e.fileOffset === o.fileOffset && e.length === o.length && e.required === o.required
    );
  });
}
