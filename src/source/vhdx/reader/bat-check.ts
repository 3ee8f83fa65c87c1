/**
 * Open-time BAT validation (formats.md §1.7), mirroring qemu's checks: states, reserved bits, offsets
 * inside the file and clear of the regions, sector-bitmap entries where partial blocks need them.
 * Also counts the states for `info`.
 */
import { dmError } from '../../../errors.js';
import { BAT_ENTRY_SIZE, type BatGeometry } from '../format/bat.js';
import { BatState, HEADER_SECTION_SIZE, SbState, SECTOR_BITMAP_BLOCK_SIZE } from '../format/constants.js';
import type { BatTable } from './bat-table.js';

export interface FileRange {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

export interface BatCheckInput {
  readonly file: string;
  readonly bat: BatTable;
  readonly batOffset: number;
  readonly geometry: BatGeometry;
  readonly virtualSize: number;
  readonly hasParent: boolean;
  /** Bytes the file (logically) holds. */
  readonly fileSize: number;
  /** Header section, log, BAT and metadata regions: no block may overlap them. */
  readonly reserved: readonly FileRange[];
}

export interface BatCounts {
  /** Payload entries by state value 0..7. */
  readonly payload: number[];
  /** Sector-bitmap entries by state value 0..7. */
  readonly bitmap: number[];
}

export function headerSectionRange(): FileRange {
  return { start: 0, end: HEADER_SECTION_SIZE, name: 'header section' };
}

export function checkBat(input: BatCheckInput, warnings: string[]): BatCounts {
  const { bat, geometry: g, file } = input;
  const payload = new Array<number>(8).fill(0);
  const bitmap = new Array<number>(8).fill(0);
  const at = (index: number) => ({
    file,
    offset: input.batOffset + index * BAT_ENTRY_SIZE,
    field: `BAT[${index}]`,
  });
  const fail = (code: 'DM_ERR_VHDX_BAT' | 'DM_ERR_VHDX_BAT_RANGE', index: number, msg: string): never => {
    throw dmError(code, `BAT entry ${index} ${msg}`, at(index));
  };
  const checkPlacement = (index: number, offset: number, length: number, what: string): void => {
    if (offset === 0) fail('DM_ERR_VHDX_BAT', index, `(${what}) has file offset 0`);
    if (offset + length > input.fileSize)
      fail(
        'DM_ERR_VHDX_BAT_RANGE',
        index,
        `(${what}) points to ${offset}+${length}, past the end of the file (${input.fileSize} bytes)`,
      );
    for (const r of input.reserved) {
      if (offset < r.end && r.start < offset + length)
        throw dmError(
          'DM_ERR_VHDX_REGION_OVERLAP',
          `BAT entry ${index} (${what}) at ${offset} overlaps the ${r.name}`,
          at(index),
        );
    }
  };
  const offsetOf = (index: number, lo: number) => bat.hi(index) * 0x100000000 + ((lo & 0xfff00000) >>> 0);

  const chunksWithPartial = new Set<number>();
  for (let b = 0; b < g.payloadBlocks; b++) {
    const index = b + Math.floor(b / g.chunkRatio);
    const lo = bat.lo(index);
    const state = lo & 7;
    payload[state]!++;
    if (lo & 0xffff8)
      fail('DM_ERR_VHDX_BAT', index, `has reserved bits 0x${(lo & 0xffff8).toString(16)} set`);
    if (state === 4) fail('DM_ERR_VHDX_BAT', index, 'has reserved state 4');
    if (state === BatState.PartiallyPresent) {
      if (!input.hasParent) fail('DM_ERR_VHDX_BAT', index, 'is PARTIALLY_PRESENT in a disk without a parent');
      chunksWithPartial.add(Math.floor(b / g.chunkRatio));
    }
    if (state === BatState.FullyPresent || state === BatState.PartiallyPresent) {
      const used = Math.min(g.blockSize, input.virtualSize - b * g.blockSize);
      checkPlacement(index, offsetOf(index, lo), used, `payload block ${b}`);
    }
  }

  let ignoredBitmaps = 0;
  for (let c = 0; c < g.sectorBitmapBlocks; c++) {
    const index = c * (g.chunkRatio + 1) + g.chunkRatio;
    if (index >= g.entryCount) break; // a non-differencing BAT ends with a payload entry
    const lo = bat.lo(index);
    const state = lo & 7;
    bitmap[state]!++;
    if (!input.hasParent) {
      if (lo !== 0 || bat.hi(index) !== 0) ignoredBitmaps++;
      continue;
    }
    if (lo & 0xffff8)
      fail('DM_ERR_VHDX_BAT', index, `has reserved bits 0x${(lo & 0xffff8).toString(16)} set`);
    if (state === SbState.Present)
      checkPlacement(index, offsetOf(index, lo), SECTOR_BITMAP_BLOCK_SIZE, `sector bitmap ${c}`);
    else if (state !== SbState.NotPresent)
      fail('DM_ERR_VHDX_BAT', index, `(sector bitmap ${c}) has reserved state ${state}`);
    else if (chunksWithPartial.has(c))
      fail(
        'DM_ERR_VHDX_BAT',
        index,
        `(sector bitmap ${c}) is not present but its chunk has PARTIALLY_PRESENT blocks`,
      );
  }
  if (ignoredBitmaps > 0)
    warnings.push(
      `${ignoredBitmaps} sector-bitmap BAT entries are non-zero in a disk without a parent; ignored`,
    );
  return { payload, bitmap };
}
