/** MBR partition table with extended/logical partitions (EBR chains), in logical sectors. */
import type { DiskSource } from '../../source/disk-source.js';
import { dmError } from '../../errors.js';
import { readDisk, u32 } from '../bytes.js';
import type { ByteRange } from '../ranges.js';
import type { Partition } from './types.js';

/** A disk cannot hold more logical partitions than this in practice; a longer chain is corrupt. */
export const MAX_LOGICAL_PARTITIONS = 128;

const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);

export interface MbrEntry {
  readonly slot: number;
  readonly status: number;
  readonly type: number;
  readonly startLba: number;
  readonly sectors: number;
}

export function hasMbrSignature(sector: Uint8Array): boolean {
  return sector[510] === 0x55 && sector[511] === 0xaa;
}

/** The four entries of an MBR or EBR sector; type 0 (unused) entries are omitted. */
export function mbrEntries(sector: Uint8Array): MbrEntry[] {
  const out: MbrEntry[] = [];
  for (let slot = 0; slot < 4; slot++) {
    const o = 446 + 16 * slot;
    const type = sector[o + 4]!;
    if (type === 0) continue;
    out.push({ slot, status: sector[o]!, type, startLba: u32(sector, o + 8), sectors: u32(sector, o + 12) });
  }
  return out;
}

export function hexType(type: number): string {
  return `0x${type.toString(16).padStart(2, '0')}`;
}

export interface MbrResult {
  readonly partitions: Partition[];
  readonly metadata: ByteRange[];
  readonly warnings: string[];
}

/** Parses the MBR in `sector0` (already read) and follows any extended partition's EBR chain. */
export async function readMbr(source: DiskSource, sector0: Uint8Array): Promise<MbrResult> {
  const lss = source.logicalSectorSize;
  const diskSectors = Math.floor(source.virtualSize / lss);
  const partitions: Partition[] = [];
  const metadata: ByteRange[] = [{ offset: 0, length: lss }];
  const warnings: string[] = [];
  const fail = (msg: string, offset: number, field: string): never => {
    throw dmError('DM_ERR_PART_TABLE', msg, { file: source.path, offset, field });
  };
  const checkRange = (start: number, count: number, offset: number, field: string): void => {
    if (start === 0 || count === 0 || start + count > diskSectors) {
      fail(`partition at LBA ${start} with ${count} sectors lies outside the disk`, offset, field);
    }
  };

  let extended: MbrEntry | undefined;
  for (const e of mbrEntries(sector0)) {
    const field = `MBR entry ${e.slot + 1}`;
    checkRange(e.startLba, e.sectors, 446 + 16 * e.slot, field);
    if (EXTENDED_TYPES.has(e.type)) {
      if (extended) fail('more than one extended partition', 446 + 16 * e.slot, field);
      extended = e;
      continue;
    }
    partitions.push({
      index: e.slot + 1,
      offset: e.startLba * lss,
      length: e.sectors * lss,
      type: hexType(e.type),
    });
  }

  if (extended) {
    const extStart = extended.startLba;
    const extEnd = extStart + extended.sectors;
    const seen = new Set<number>();
    let ebrLba = extStart;
    let index = 5;
    // Each EBR: entry 1 = logical partition (relative to this EBR), entry 2 = next EBR (relative to
    // the extended partition's start). Bounded by a visited set and a count limit.
    for (;;) {
      if (seen.has(ebrLba)) fail(`EBR chain loops back to LBA ${ebrLba}`, ebrLba * lss, 'EBR link');
      if (seen.size >= MAX_LOGICAL_PARTITIONS) {
        fail(`EBR chain longer than ${MAX_LOGICAL_PARTITIONS}`, ebrLba * lss, 'EBR link');
      }
      if (ebrLba < extStart || ebrLba >= extEnd) {
        fail(`EBR at LBA ${ebrLba} lies outside the extended partition`, ebrLba * lss, 'EBR link');
      }
      seen.add(ebrLba);
      const ebr = await readDisk(source, ebrLba * lss, lss, 'DM_ERR_PART_TABLE', 'EBR');
      metadata.push({ offset: ebrLba * lss, length: lss });
      if (!hasMbrSignature(ebr)) fail('EBR has no 0x55AA signature', ebrLba * lss + 510, 'EBR signature');
      const raw = [0, 1].map((slot) => {
        const o = 446 + 16 * slot;
        return { type: ebr[o + 4]!, start: u32(ebr, o + 8), sectors: u32(ebr, o + 12) };
      });
      const logical = raw[0]!;
      if (logical.type !== 0 && logical.sectors > 0) {
        const start = ebrLba + logical.start;
        if (logical.start === 0 || start + logical.sectors > extEnd) {
          fail(
            `logical partition ${index} lies outside the extended partition`,
            ebrLba * lss + 446,
            'EBR entry 1',
          );
        }
        partitions.push({
          index,
          offset: start * lss,
          length: logical.sectors * lss,
          type: hexType(logical.type),
        });
        index++;
      }
      const next = raw[1]!;
      if (next.type === 0 || next.sectors === 0) break;
      if (!EXTENDED_TYPES.has(next.type)) {
        warnings.push(
          `EBR at LBA ${ebrLba}: second entry has type ${hexType(next.type)}, not a link; chain ends`,
        );
        break;
      }
      ebrLba = extStart + next.start;
    }
  }
  return { partitions, metadata, warnings };
}
