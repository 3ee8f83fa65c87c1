/**
 * Test-only VHDX builder on the format codec (independent of the writer being built in parallel):
 * explicit BAT states, payload data, sector bitmaps, parent locators and active logs, so tests can
 * make any valid or malformed image, including differencing chains.
 */
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  batGeometry,
  batRegionLength,
  bitmapEntryIndex,
  payloadEntryIndex,
  writeBatEntry,
} from '../../../src/source/vhdx/format/bat.js';
import {
  BatState,
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  MiB,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_GUID_BAT,
  REGION_GUID_METADATA,
  SbState,
} from '../../../src/source/vhdx/format/constants.js';
import { encodeFileIdentifier } from '../../../src/source/vhdx/format/file-identifier.js';
import { randomGuid, ZERO_GUID, type Guid } from '../../../src/source/vhdx/format/guid.js';
import { encodeHeader, type VhdxHeader } from '../../../src/source/vhdx/format/header.js';
import { encodeLogEntry, type LogEntryInput } from '../../../src/source/vhdx/format/log.js';
import { encodeMetadataRegion, type VhdxMetadata } from '../../../src/source/vhdx/format/metadata.js';
import type { ParentLocator } from '../../../src/source/vhdx/format/parent-locator.js';
import { encodeRegionTable, type RegionEntry } from '../../../src/source/vhdx/format/region-table.js';

export { MiB };

export interface BlockSpec {
  readonly state: number;
  /** Whole-block contents for FULLY/PARTIALLY_PRESENT (defaults to a pattern). */
  readonly data?: Uint8Array;
  /** PARTIALLY_PRESENT: one bit per logical sector of the block, LSB first (1 = this file). */
  readonly bitmap?: Uint8Array;
}

export interface VhdxSpec {
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly logicalSectorSize?: 512 | 4096;
  readonly physicalSectorSize?: 512 | 4096;
  readonly blocks?: ReadonlyMap<number, BlockSpec>;
  readonly parentLocator?: ParentLocator;
  readonly dataWriteGuid?: Guid;
  readonly leaveBlockAllocated?: boolean;
  readonly seed?: number;
}

export interface BuiltVhdx {
  readonly path: string;
  readonly dataWriteGuid: Guid;
  readonly fileWriteGuid: Guid;
  readonly header: VhdxHeader;
  readonly logOffset: number;
  readonly logLength: number;
  readonly batOffset: number;
  readonly batLength: number;
  readonly metadataOffset: number;
  readonly bat: Uint8Array;
  /** File offset of each stored payload block. */
  readonly blockOffsets: ReadonlyMap<number, number>;
  readonly fileSize: number;
  readonly meta: VhdxMetadata;
  readonly regions: RegionEntry[];
}

export function scratch(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `dm-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic non-zero-ish bytes. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function buildVhdx(file: string, spec: VhdxSpec): BuiltVhdx {
  const lss = spec.logicalSectorSize ?? 512;
  const hasParent = spec.parentLocator !== undefined;
  const g = batGeometry(spec.virtualSize, spec.blockSize, lss, hasParent);
  const logOffset = MiB;
  const logLength = MiB;
  const batOffset = 2 * MiB;
  const batLength = batRegionLength(g);
  const metadataOffset = batOffset + batLength;
  const metadataLength = MiB;
  let next = metadataOffset + metadataLength;
  const meta: VhdxMetadata = {
    blockSize: spec.blockSize,
    leaveBlockAllocated: spec.leaveBlockAllocated ?? false,
    hasParent,
    virtualSize: spec.virtualSize,
    virtualDiskId: randomGuid(),
    logicalSectorSize: lss,
    physicalSectorSize: spec.physicalSectorSize ?? lss,
    ...(spec.parentLocator ? { parentLocator: spec.parentLocator } : {}),
  };
  const bat = new Uint8Array(g.entryCount * 8);
  const writes: { offset: number; data: Uint8Array }[] = [];
  const blockOffsets = new Map<number, number>();
  const sbBlocks = new Map<number, Uint8Array>();
  for (const [b, blk] of spec.blocks ?? []) {
    const index = payloadEntryIndex(b, g.chunkRatio);
    if (blk.state === BatState.FullyPresent || blk.state === BatState.PartiallyPresent) {
      const data = blk.data ?? pattern(spec.blockSize, (spec.seed ?? 1) * 1000 + b);
      writeBatEntry(bat, index, blk.state, next);
      blockOffsets.set(b, next);
      writes.push({ offset: next, data });
      next += Math.ceil(spec.blockSize / MiB) * MiB;
    } else {
      writeBatEntry(bat, index, blk.state, 0);
    }
    if (blk.bitmap) {
      const chunk = Math.floor(b / g.chunkRatio);
      let sb = sbBlocks.get(chunk);
      if (!sb) sbBlocks.set(chunk, (sb = new Uint8Array(MiB)));
      sb.set(blk.bitmap, (b % g.chunkRatio) * (MiB / g.chunkRatio));
    }
  }
  for (const [chunk, sb] of sbBlocks) {
    writeBatEntry(bat, bitmapEntryIndex(chunk, g.chunkRatio), SbState.Present, next);
    writes.push({ offset: next, data: sb });
    next += MiB;
  }
  const regions: RegionEntry[] = [
    { guid: REGION_GUID_BAT, fileOffset: batOffset, length: batLength, required: true },
    { guid: REGION_GUID_METADATA, fileOffset: metadataOffset, length: metadataLength, required: true },
  ];
  const dataWriteGuid = spec.dataWriteGuid ?? randomGuid();
  const fileWriteGuid = randomGuid();
  const header: VhdxHeader = {
    sequenceNumber: 10n,
    fileWriteGuid,
    dataWriteGuid,
    logGuid: ZERO_GUID,
    logVersion: 0,
    version: 1,
    logLength,
    logOffset,
  };
  writes.push(
    { offset: 0, data: encodeFileIdentifier('datamover test builder') },
    { offset: HEADER1_OFFSET, data: encodeHeader(header) },
    { offset: HEADER2_OFFSET, data: encodeHeader({ ...header, sequenceNumber: 11n }) },
    { offset: REGION1_OFFSET, data: encodeRegionTable(regions) },
    { offset: REGION2_OFFSET, data: encodeRegionTable(regions) },
    { offset: batOffset, data: bat },
    { offset: metadataOffset, data: encodeMetadataRegion(meta, metadataLength) },
  );
  // The file starts as a sparse run of zeros: trailing zeros of each structure need not be written.
  writeAt(
    file,
    next,
    writes.map((w) => ({ offset: w.offset, data: trimTrailingZeros(w.data) })),
    true,
  );
  return {
    path: file,
    dataWriteGuid,
    fileWriteGuid,
    header: { ...header, sequenceNumber: 11n },
    logOffset,
    logLength,
    batOffset,
    batLength,
    metadataOffset,
    bat,
    blockOffsets,
    fileSize: next,
    meta,
    regions,
  };
}

function trimTrailingZeros(data: Uint8Array): Uint8Array {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return data.subarray(0, end);
}

/** Writes byte ranges into a file (created and sized when `create`). */
export function writeAt(
  file: string,
  size: number | undefined,
  writes: readonly { offset: number; data: Uint8Array }[],
  create = false,
): void {
  if (create) writeFileSync(file, new Uint8Array(0));
  const fd = openSync(file, 'r+');
  try {
    if (size !== undefined) ftruncateSync(fd, size);
    for (const w of writes) writeSync(fd, w.data, 0, w.data.length, w.offset);
  } finally {
    closeSync(fd);
  }
}

/** Puts log entries (in order, from log offset 0) into the image and sets LogGuid in both headers. */
export function addActiveLog(
  img: BuiltVhdx,
  logGuid: Guid,
  entries: readonly Omit<LogEntryInput, 'logGuid'>[],
): void {
  const writes: { offset: number; data: Uint8Array }[] = [];
  let at = img.logOffset;
  for (const e of entries) {
    const enc = encodeLogEntry({ ...e, logGuid });
    writes.push({ offset: at, data: enc });
    at += enc.length;
  }
  const h = { ...img.header, logGuid };
  writes.push({ offset: HEADER1_OFFSET, data: encodeHeader({ ...h, sequenceNumber: 12n }) });
  writes.push({ offset: HEADER2_OFFSET, data: encodeHeader({ ...h, sequenceNumber: 13n }) });
  writeAt(img.path, undefined, writes);
}

/** Locator pointing at `parent` from `childPath` by a relative path. */
export function relativeLocator(childPath: string, parent: BuiltVhdx): ParentLocator {
  const rel = path.relative(path.dirname(childPath), parent.path).split(path.sep).join('\\');
  return { parentLinkage: `{${parent.dataWriteGuid}}`, relativePath: rel };
}

/**
 * Expected virtual-disk bytes of a chain, child first: the reference model the reader must match
 * (6 = this file, 7 = per-sector bitmap, 0 = parent or zeros, others zeros).
 */
export function expectedContent(chain: readonly { spec: VhdxSpec }[]): Uint8Array {
  const [top, ...rest] = chain;
  if (!top) return new Uint8Array(0);
  const s = top.spec;
  const out = new Uint8Array(s.virtualSize);
  const parent = rest.length ? expectedContent(rest) : undefined;
  const lss = s.logicalSectorSize ?? 512;
  const blocks = Math.ceil(s.virtualSize / s.blockSize);
  for (let b = 0; b < blocks; b++) {
    const start = b * s.blockSize;
    const end = Math.min(s.virtualSize, start + s.blockSize);
    const blk = s.blocks?.get(b);
    const state = blk?.state ?? BatState.NotPresent;
    const data = blk?.data ?? pattern(s.blockSize, (s.seed ?? 1) * 1000 + b);
    const fromParent = (from: number, to: number) => {
      if (!parent) return;
      const pe = Math.min(to, parent.length);
      if (from < pe) out.set(parent.subarray(from, pe), from);
    };
    if (state === BatState.FullyPresent) out.set(data.subarray(0, end - start), start);
    else if (state === BatState.PartiallyPresent) {
      for (let off = start; off < end; off += lss) {
        const sector = (off - start) / lss;
        const bit = ((blk!.bitmap?.[sector >> 3] ?? 0) >> (sector & 7)) & 1;
        if (bit) out.set(data.subarray(off - start, off - start + lss), off);
        else fromParent(off, off + lss);
      }
    } else if (state === BatState.NotPresent) fromParent(start, end);
  }
  return out;
}
