/** Finds the partition table of a disk: GPT (protective MBR), MBR, or a bare NTFS "superfloppy". */
import type { DiskSource } from '../../source/disk-source.js';
import { ascii, readDisk } from '../bytes.js';
import { readGpt, hasGptSignature } from './gpt.js';
import { hasMbrSignature, mbrEntries, readMbr } from './mbr.js';
import type { PartitionTable } from './types.js';

export function isNtfsBootSector(sector: Uint8Array): boolean {
  return ascii(sector, 3, 8) === 'NTFS    ';
}

/** Throws DM_ERR_PART_TABLE for an invalid table; an unrecognised sector 0 gives scheme `none`. */
export async function readPartitionTable(source: DiskSource): Promise<PartitionTable> {
  const lss = source.logicalSectorSize;
  if (source.virtualSize < 2 * lss) return { scheme: 'none', partitions: [], metadata: [], warnings: [] };
  const sector0 = await readDisk(source, 0, lss, 'DM_ERR_PART_TABLE', 'MBR');
  // An NTFS boot sector also ends in 0x55AA, and its bootstrap code lands where MBR entries would be.
  if (isNtfsBootSector(sector0)) {
    return {
      scheme: 'none',
      partitions: [{ index: 0, offset: 0, length: source.virtualSize, type: 'superfloppy' }],
      metadata: [],
      warnings: [],
    };
  }
  const entries = hasMbrSignature(sector0) ? mbrEntries(sector0) : [];
  const protective = entries.some((e) => e.type === 0xee);
  if (protective || !hasMbrSignature(sector0)) {
    const sector1 = await readDisk(source, lss, lss, 'DM_ERR_PART_TABLE', 'GPT header');
    if (protective || hasGptSignature(sector1)) {
      const gpt = await readGpt(source);
      return { scheme: 'gpt', ...gpt, metadata: [{ offset: 0, length: lss }, ...gpt.metadata] };
    }
    return { scheme: 'none', partitions: [], metadata: [], warnings: ['no partition table found'] };
  }
  const mbr = await readMbr(source, sector0);
  return { scheme: 'mbr', ...mbr };
}
