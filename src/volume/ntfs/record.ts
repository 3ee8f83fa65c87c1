/** One MFT record: header and attribute records (formats.md §2.3–2.4). Pure, over fixed-up bytes. */
import { dmError } from '../../errors.js';
import { ascii, s64, show64, u16, u32, u64, utf16 } from '../bytes.js';
import { applyFixups } from './fixup.js';

export const AttrType = {
  standardInformation: 0x10,
  attributeList: 0x20,
  fileName: 0x30,
  volumeInformation: 0x70,
  data: 0x80,
  indexRoot: 0x90,
  indexAllocation: 0xa0,
  bitmap: 0xb0,
  end: 0xffffffff,
} as const;

export interface Attribute {
  readonly type: number;
  readonly name: string;
  readonly nonResident: boolean;
  readonly flags: number;
  readonly instance: number;
  /** Resident value (a view into the record). */
  readonly value?: Uint8Array;
  readonly lowestVcn: number;
  readonly highestVcn: number;
  /** Sizes: meaningful for non-resident attributes with lowestVcn 0; resident: value length. */
  readonly allocatedSize: number;
  readonly dataSize: number;
  readonly initializedSize: number;
  readonly compressionUnit: number;
  /** Non-resident mapping pairs, from mapping_pairs_offset to the end of the attribute record. */
  readonly mappingPairs?: Uint8Array;
}

export interface MftRecord {
  readonly number: number;
  readonly flags: number;
  readonly inUse: boolean;
  readonly isDirectory: boolean;
  readonly sequence: number;
  /** Record number of the base record (0 for a base record). */
  readonly baseRecord: number;
  readonly attributes: Attribute[];
}

export const RecordFlag = { inUse: 0x1, directory: 0x2 } as const;

/** Whether the record at `at` starts with the magic "FILE" (compared as bytes: called per record). */
export function isFileRecord(b: Uint8Array, at: number): boolean {
  return b[at] === 0x46 && b[at + 1] === 0x49 && b[at + 2] === 0x4c && b[at + 3] === 0x45;
}

/** Low 48 bits of an MFT reference: the record number. */
export function refRecord(b: Uint8Array, o: number): number {
  return u32(b, o) + u16(b, o + 4) * 0x100000000;
}

/**
 * Applies fixups to `rec` in place and parses it. `offset` is the record's disk offset, for messages.
 * Throws DM_ERR_NTFS_FIXUP, DM_ERR_NTFS_RECORD or DM_ERR_NTFS_ATTRIBUTE.
 */
export function parseRecord(rec: Uint8Array, number: number, file: string, offset: number): MftRecord {
  const where = { file, offset };
  if (!isFileRecord(rec, 0)) {
    const magic = ascii(rec, 0, 4);
    throw dmError(
      'DM_ERR_NTFS_RECORD',
      `MFT record ${number}: magic "${magic === 'BAAD' ? 'BAAD' : 'not FILE'}"`,
      {
        ...where,
        field: 'magic',
      },
    );
  }
  applyFixups(rec, where);
  const failRec = (msg: string, field: string): never => {
    throw dmError('DM_ERR_NTFS_RECORD', `MFT record ${number}: ${msg}`, { ...where, field });
  };
  const attrsOffset = u16(rec, 20);
  const flags = u16(rec, 22);
  const bytesInUse = u32(rec, 24);
  const bytesAllocated = u32(rec, 28);
  if (bytesAllocated !== rec.length)
    failRec(`bytes_allocated ${bytesAllocated} ≠ record size ${rec.length}`, 'bytes_allocated');
  if (bytesInUse > rec.length || bytesInUse < attrsOffset + 4)
    failRec(`bytes_in_use ${bytesInUse} invalid`, 'bytes_in_use');
  if (attrsOffset % 8 !== 0 || attrsOffset < 42)
    failRec(`attrs_offset ${attrsOffset} invalid`, 'attrs_offset');
  // NTFS 3.1 headers (update sequence array at 0x30 or later) carry the record's own number: a
  // record read from the wrong place (bad runlist or geometry) is caught here.
  if (u16(rec, 4) >= 0x30 && u32(rec, 44) !== number % 0x100000000) {
    failRec(`header says record ${u32(rec, 44)}`, 'mft_record_number');
  }
  const attributes: Attribute[] = [];
  let pos = attrsOffset;
  for (;;) {
    if (pos + 4 > bytesInUse)
      failRec('attribute list runs past bytes_in_use without an end marker', 'attributes');
    const type = u32(rec, pos);
    if (type === AttrType.end) break;
    attributes.push(parseAttribute(rec, pos, bytesInUse, number, file, offset));
    pos += u32(rec, pos + 4);
  }
  return {
    number,
    flags,
    inUse: (flags & RecordFlag.inUse) !== 0,
    isDirectory: (flags & RecordFlag.directory) !== 0,
    sequence: u16(rec, 16),
    baseRecord: refRecord(rec, 32),
    attributes,
  };
}

function parseAttribute(
  rec: Uint8Array,
  pos: number,
  limit: number,
  number: number,
  file: string,
  offset: number,
): Attribute {
  const fail = (msg: string, field: string): never => {
    throw dmError('DM_ERR_NTFS_ATTRIBUTE', `MFT record ${number}, attribute at +${pos}: ${msg}`, {
      file,
      offset: offset + pos,
      field,
    });
  };
  if (pos + 16 > limit) fail('header past the record end', 'length');
  const type = u32(rec, pos);
  const length = u32(rec, pos + 4);
  const nonResident = rec[pos + 8]!;
  const minLen = nonResident ? 64 : 24;
  if (length < minLen || length % 8 !== 0 || pos + length > limit) fail(`length ${length} invalid`, 'length');
  if (nonResident > 1) fail(`non_resident ${nonResident}`, 'non_resident');
  const nameLength = rec[pos + 9]!;
  const nameOffset = u16(rec, pos + 10);
  if (nameLength > 0 && nameOffset + 2 * nameLength > length)
    fail('name past the attribute end', 'name_offset');
  const name = nameLength > 0 ? utf16(rec, pos + nameOffset, nameLength) : '';
  const flags = u16(rec, pos + 12);
  const instance = u16(rec, pos + 14);
  const end = pos + length;
  if (!nonResident) {
    const valueLength = u32(rec, pos + 16);
    const valueOffset = u16(rec, pos + 20);
    if (valueOffset + valueLength > length) fail('value past the attribute end', 'value_offset');
    const value = rec.subarray(pos + valueOffset, pos + valueOffset + valueLength);
    return {
      type,
      name,
      nonResident: false,
      flags,
      instance,
      value,
      lowestVcn: 0,
      highestVcn: 0,
      allocatedSize: valueLength,
      dataSize: valueLength,
      initializedSize: valueLength,
      compressionUnit: 0,
    };
  }
  const lowestVcn = s64(rec, pos + 16);
  const highestVcn = s64(rec, pos + 24);
  const mpOffset = u16(rec, pos + 32);
  if (mpOffset < 64 || mpOffset >= length)
    fail(`mapping_pairs_offset ${mpOffset} invalid`, 'mapping_pairs_offset');
  if (
    !(lowestVcn >= 0) ||
    !(highestVcn >= -1) ||
    (highestVcn < lowestVcn && !(highestVcn === -1 && lowestVcn === 0))
  ) {
    fail(`VCN range ${show64(rec, pos + 16, true)}..${show64(rec, pos + 24, true)} invalid`, 'lowest_vcn');
  }
  const allocatedSize = u64(rec, pos + 40);
  const dataSize = u64(rec, pos + 48);
  const initializedSize = u64(rec, pos + 56);
  if (
    lowestVcn === 0 &&
    (!Number.isFinite(allocatedSize) || !Number.isFinite(dataSize) || initializedSize > dataSize)
  ) {
    fail('sizes inconsistent', 'data_size');
  }
  return {
    type,
    name,
    nonResident: true,
    flags,
    instance,
    lowestVcn,
    highestVcn,
    allocatedSize,
    dataSize,
    initializedSize,
    compressionUnit: rec[pos + 34]!,
    mappingPairs: rec.subarray(pos + mpOffset, end),
  };
}
