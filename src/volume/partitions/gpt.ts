/** GUID partition table: primary header at LBA 1, backup at the last LBA, both CRC-32 checked. */
import type { DiskSource } from '../../source/disk-source.js';
import { dmError, isDmError } from '../../errors.js';
import { ascii, readDisk, show64, u32, u64 } from '../bytes.js';
import type { ByteRange } from '../ranges.js';
import { crc32 } from '../../core/crc32.js';
import type { Partition } from './types.js';

/** Bounds from forged header fields: the array is 16 KiB normally; refuse anything absurd. */
const MAX_ENTRIES = 4096;
const MAX_ARRAY_BYTES = 1 << 20;

interface GptHeader {
  readonly myLba: number;
  readonly alternateLba: number;
  readonly firstUsable: number;
  readonly lastUsable: number;
  readonly entryLba: number;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly arrayCrc: number;
}

/** Mixed-endian GUID text: first three groups little-endian, the rest as stored. */
export function guidText(b: Uint8Array, o: number): string {
  const hex = (i: number): string => b[o + i]!.toString(16).padStart(2, '0');
  const g = (idx: number[]): string => idx.map(hex).join('');
  return `${g([3, 2, 1, 0])}-${g([5, 4])}-${g([7, 6])}-${g([8, 9])}-${g([10, 11, 12, 13, 14, 15])}`.toUpperCase();
}

export function hasGptSignature(sector: Uint8Array): boolean {
  return ascii(sector, 0, 8) === 'EFI PART';
}

function parseHeader(
  sector: Uint8Array,
  expectLba: number,
  diskSectors: number,
  where: number,
  file: string,
): GptHeader {
  const fail = (msg: string, field: string): never => {
    throw dmError('DM_ERR_PART_TABLE', `GPT header: ${msg}`, { file, offset: where, field });
  };
  if (!hasGptSignature(sector)) fail('no "EFI PART" signature', 'Signature');
  const size = u32(sector, 12);
  if (size < 92 || size > sector.length) fail(`header size ${size} out of range`, 'HeaderSize');
  const copy = sector.slice(0, size);
  copy.fill(0, 16, 20);
  if (crc32(copy) !== u32(sector, 16)) fail('header CRC-32 mismatch', 'HeaderCRC32');
  const h: GptHeader = {
    myLba: u64(sector, 24),
    alternateLba: u64(sector, 32),
    firstUsable: u64(sector, 40),
    lastUsable: u64(sector, 48),
    entryLba: u64(sector, 72),
    entryCount: u32(sector, 80),
    entrySize: u32(sector, 84),
    arrayCrc: u32(sector, 88),
  };
  if (h.myLba !== expectLba) fail(`MyLBA ${show64(sector, 24)} is not ${expectLba}`, 'MyLBA');
  if (h.firstUsable > h.lastUsable || h.lastUsable >= diskSectors)
    fail('usable LBA range outside the disk', 'LastUsableLBA');
  if (h.entryCount > MAX_ENTRIES)
    fail(`${h.entryCount} entries (limit ${MAX_ENTRIES})`, 'NumberOfPartitionEntries');
  if (h.entrySize < 128 || h.entrySize % 8 !== 0 || h.entryCount * h.entrySize > MAX_ARRAY_BYTES) {
    fail(`entry size ${h.entrySize} invalid`, 'SizeOfPartitionEntry');
  }
  if (h.entryLba < 2 || h.entryLba >= diskSectors)
    fail(`entry array LBA ${show64(sector, 72)} outside the disk`, 'PartitionEntryLBA');
  return h;
}

interface GptCopy {
  readonly header: GptHeader;
  readonly array: Uint8Array;
  readonly metadata: ByteRange[];
}

async function readCopy(source: DiskSource, lba: number): Promise<GptCopy> {
  const lss = source.logicalSectorSize;
  const diskSectors = Math.floor(source.virtualSize / lss);
  const sector = await readDisk(source, lba * lss, lss, 'DM_ERR_PART_TABLE', 'GPT header');
  const header = parseHeader(sector, lba, diskSectors, lba * lss, source.path);
  const bytes = header.entryCount * header.entrySize;
  const array = await readDisk(source, header.entryLba * lss, bytes, 'DM_ERR_PART_TABLE', 'GPT entry array');
  if (crc32(array) !== header.arrayCrc) {
    throw dmError('DM_ERR_PART_TABLE', 'GPT entry array CRC-32 mismatch', {
      file: source.path,
      offset: header.entryLba * lss,
      field: 'PartitionEntryArrayCRC32',
    });
  }
  const arrayLen = Math.ceil(bytes / lss) * lss;
  return {
    header,
    array,
    metadata: [
      { offset: lba * lss, length: lss },
      { offset: header.entryLba * lss, length: arrayLen },
    ],
  };
}

export interface GptResult {
  readonly partitions: Partition[];
  readonly metadata: ByteRange[];
  readonly warnings: string[];
}

/** Reads the primary GPT, falling back to the backup (with a warning) when the primary is invalid. */
export async function readGpt(source: DiskSource): Promise<GptResult> {
  const lss = source.logicalSectorSize;
  const lastLba = Math.floor(source.virtualSize / lss) - 1;
  const warnings: string[] = [];
  let copy: GptCopy;
  try {
    copy = await readCopy(source, 1);
  } catch (primaryErr) {
    if (!isDmError(primaryErr)) throw primaryErr;
    try {
      copy = await readCopy(source, lastLba);
    } catch (backupErr) {
      if (!isDmError(backupErr)) throw backupErr;
      throw dmError(
        'DM_ERR_PART_TABLE',
        `no valid GPT: primary: ${primaryErr.message}; backup: ${backupErr.message}`,
        { file: source.path, offset: lss, field: 'GPT header' },
      );
    }
    warnings.push(`primary GPT invalid (${primaryErr.message}); using the backup GPT`);
  }
  const { header, array } = copy;
  const partitions: Partition[] = [];
  for (let i = 0; i < header.entryCount; i++) {
    const o = i * header.entrySize;
    if (array.subarray(o, o + 16).every((x) => x === 0)) continue;
    const first = u64(array, o + 32);
    const last = u64(array, o + 40);
    if (first > last || first < header.firstUsable || last > header.lastUsable) {
      throw dmError(
        'DM_ERR_PART_TABLE',
        `GPT entry ${i + 1}: LBA ${show64(array, o + 32)}..${show64(array, o + 40)} outside the usable range`,
        {
          file: source.path,
          offset: header.entryLba * lss + o,
          field: `entry ${i + 1}`,
        },
      );
    }
    let name = '';
    for (let c = 0; c < 36; c++) {
      const ch = array[o + 56 + 2 * c]! | (array[o + 57 + 2 * c]! << 8);
      if (ch === 0) break;
      name += String.fromCharCode(ch);
    }
    partitions.push({
      index: i + 1,
      offset: first * lss,
      length: (last - first + 1) * lss,
      type: guidText(array, o),
      ...(name ? { name } : {}),
    });
  }
  // Both copies are table metadata, whichever was used.
  const metadata = [...copy.metadata, { offset: lss, length: lss }, { offset: lastLba * lss, length: lss }];
  return { partitions, metadata, warnings };
}
