import { describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import {
  batGeometry,
  bitmapEntryIndex,
  payloadEntryIndex,
  readBatOffset,
  readBatState,
  validateBatEntryBits,
  writeBatEntry,
} from '../../src/source/vhdx/format/bat.js';
import {
  BatState,
  MiB,
  REGION_GUID_BAT,
  REGION_GUID_METADATA,
} from '../../src/source/vhdx/format/constants.js';
import { checksumMatches, crc32c, sealChecksum } from '../../src/source/vhdx/format/crc32c.js';
import { decodeFileIdentifier, encodeFileIdentifier } from '../../src/source/vhdx/format/file-identifier.js';
import {
  parseBracedGuid,
  randomGuid,
  readGuid,
  toBracedGuid,
  writeGuid,
  ZERO_GUID,
} from '../../src/source/vhdx/format/guid.js';
import { decodeHeader, encodeHeader, type VhdxHeader } from '../../src/source/vhdx/format/header.js';
import { decodeLogEntry, encodeLogEntry, findActiveSequence } from '../../src/source/vhdx/format/log.js';
import {
  decodeMetadataRegion,
  encodeMetadataRegion,
  type VhdxMetadata,
} from '../../src/source/vhdx/format/metadata.js';
import { decodeParentLocator, encodeParentLocator } from '../../src/source/vhdx/format/parent-locator.js';
import { decodeRegionTable, encodeRegionTable } from '../../src/source/vhdx/format/region-table.js';

const ctx = { file: 't.vhdx', offset: 0 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isDmError(err) ? err.code : `not a DmError: ${String(err)}`;
  }
  return undefined;
}

describe('crc32c', () => {
  it('has the standard check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
  it('seals and verifies a checksum field', () => {
    const buf = new Uint8Array(64).fill(7);
    sealChecksum(buf, 4);
    expect(checksumMatches(buf, 4)).toBe(true);
    buf[10]! ^= 1;
    expect(checksumMatches(buf, 4)).toBe(false);
  });
});

describe('guid', () => {
  it('stores the BAT region GUID in mixed-endian order (formats.md §1.1)', () => {
    const buf = new Uint8Array(16);
    writeGuid(buf, 0, REGION_GUID_BAT);
    expect(Buffer.from(buf).toString('hex')).toBe('6677c22d23f600429d64115e9bfd4a08');
    expect(readGuid(buf, 0)).toBe(REGION_GUID_BAT);
  });
  it('round-trips random GUIDs and braced strings', () => {
    const g = randomGuid();
    const buf = new Uint8Array(20);
    writeGuid(buf, 4, g);
    expect(readGuid(buf, 4)).toBe(g);
    expect(parseBracedGuid(toBracedGuid(g).toUpperCase())).toBe(g);
    expect(parseBracedGuid('{not-a-guid}')).toBeUndefined();
    expect(parseBracedGuid(`{${g}`)).toBeUndefined();
    expect(readGuid(new Uint8Array(16), 0)).toBe(ZERO_GUID);
  });
});

describe('file identifier', () => {
  it('round-trips the creator and rejects other signatures', () => {
    const buf = encodeFileIdentifier('datamover test');
    expect(buf.length).toBe(65536);
    expect(decodeFileIdentifier(buf, 'x').creator).toBe('datamover test');
    buf[0] = 0x41;
    expect(codeOf(() => decodeFileIdentifier(buf, 'x'))).toBe('DM_ERR_VHDX_SIGNATURE');
  });
});

describe('header', () => {
  const h: VhdxHeader = {
    sequenceNumber: 0x1_0000_0005n,
    fileWriteGuid: randomGuid(),
    dataWriteGuid: randomGuid(),
    logGuid: ZERO_GUID,
    logVersion: 0,
    version: 1,
    logLength: MiB,
    logOffset: MiB,
  };
  it('round-trips and seals 4096 bytes', () => {
    const buf = encodeHeader(h);
    expect(buf.length).toBe(4096);
    expect(decodeHeader(buf, ctx)).toEqual(h);
  });
  it('rejects a bad CRC, signature or version', () => {
    const bad = encodeHeader(h);
    bad[100] = 1;
    expect(codeOf(() => decodeHeader(bad, ctx))).toBe('DM_ERR_VHDX_HEADER');
    expect(codeOf(() => decodeHeader(encodeHeader({ ...h, version: 2 }), ctx))).toBe('DM_ERR_VHDX_HEADER');
    const sig = encodeHeader(h);
    sig[0] = 0;
    expect(codeOf(() => decodeHeader(sig, ctx))).toBe('DM_ERR_VHDX_HEADER');
  });
});

describe('region table', () => {
  const entries = [
    { guid: REGION_GUID_BAT, fileOffset: 2 * MiB, length: MiB, required: false },
    { guid: REGION_GUID_METADATA, fileOffset: 3 * MiB, length: MiB, required: true },
  ];
  it('round-trips', () => {
    const buf = encodeRegionTable(entries);
    expect(buf.length).toBe(65536);
    expect(decodeRegionTable(buf, ctx)).toEqual(entries);
  });
  it('rejects overlap, misalignment, duplicates and a bad CRC', () => {
    const overlap = [entries[0]!, { ...entries[1]!, fileOffset: 2 * MiB }];
    expect(codeOf(() => decodeRegionTable(encodeRegionTable(overlap), ctx))).toBe(
      'DM_ERR_VHDX_REGION_OVERLAP',
    );
    const unaligned = [{ ...entries[0]!, fileOffset: 2 * MiB + 4096 }];
    expect(codeOf(() => decodeRegionTable(encodeRegionTable(unaligned), ctx))).toBe(
      'DM_ERR_VHDX_REGION_TABLE',
    );
    const dup = [entries[0]!, { ...entries[0]!, fileOffset: 5 * MiB }];
    expect(codeOf(() => decodeRegionTable(encodeRegionTable(dup), ctx))).toBe('DM_ERR_VHDX_REGION_TABLE');
    const crc = encodeRegionTable(entries);
    crc[60000] = 1;
    expect(codeOf(() => decodeRegionTable(crc, ctx))).toBe('DM_ERR_VHDX_REGION_TABLE');
  });
});

describe('parent locator and metadata', () => {
  const loc = {
    parentLinkage: toBracedGuid(randomGuid()),
    relativePath: '..\\base\\parent.vhdx',
    absoluteWin32Path: '\\\\?\\C:\\vms\\base\\parent.vhdx',
    other: { custom_key: 'v' },
  };
  it('round-trips a parent locator and rejects one without a path', () => {
    expect(decodeParentLocator(encodeParentLocator(loc), ctx)).toEqual(loc);
    const noPath = encodeParentLocator({ parentLinkage: loc.parentLinkage });
    expect(codeOf(() => decodeParentLocator(noPath, ctx))).toBe('DM_ERR_VHDX_PARENT_LOCATOR');
  });
  const meta: VhdxMetadata = {
    blockSize: 32 * MiB,
    leaveBlockAllocated: false,
    hasParent: true,
    virtualSize: 10 * 1024 ** 3,
    virtualDiskId: randomGuid(),
    logicalSectorSize: 4096,
    physicalSectorSize: 4096,
    parentLocator: loc,
  };
  it('round-trips metadata with qemu item layout', () => {
    const buf = encodeMetadataRegion(meta, MiB);
    expect(decodeMetadataRegion(buf, ctx)).toEqual(meta);
    const plain = { ...meta, hasParent: false, logicalSectorSize: 512 as const };
    delete (plain as Partial<VhdxMetadata>).parentLocator;
    const b2 = encodeMetadataRegion(plain, MiB);
    const dv = new DataView(b2.buffer);
    expect([0, 1, 2, 3, 4].map((i) => dv.getUint32(32 + i * 32 + 16, true))).toEqual([
      0x10000, 0x10008, 0x10010, 0x10020, 0x10024,
    ]);
    expect([0, 1, 2, 3, 4].map((i) => dv.getUint32(32 + i * 32 + 24, true))).toEqual([4, 6, 6, 6, 6]);
    expect(decodeMetadataRegion(b2, ctx)).toEqual(plain);
  });
  it('rejects bad block size, sector size, virtual size and unknown required items', () => {
    const plain = { ...meta, hasParent: false, parentLocator: undefined };
    const enc = (m: Partial<VhdxMetadata>) => encodeMetadataRegion({ ...plain, ...m } as VhdxMetadata, MiB);
    expect(codeOf(() => decodeMetadataRegion(enc({ blockSize: 3 * MiB }), ctx))).toBe(
      'DM_ERR_VHDX_BLOCK_SIZE',
    );
    expect(codeOf(() => decodeMetadataRegion(enc({ virtualSize: 2 ** 46 + 4096 }), ctx))).toBe(
      'DM_ERR_VHDX_VIRTUAL_SIZE',
    );
    expect(codeOf(() => decodeMetadataRegion(enc({ virtualSize: 4096 + 512 }), ctx))).toBe(
      'DM_ERR_VHDX_VIRTUAL_SIZE',
    );
    expect(codeOf(() => decodeMetadataRegion(enc({ logicalSectorSize: 1024 as 512 }), ctx))).toBe(
      'DM_ERR_VHDX_SECTOR_SIZE',
    );
    const unknown = enc({});
    unknown[32 + 4 * 32] = 0x5a; // corrupt the GUID of the last (required) item
    expect(codeOf(() => decodeMetadataRegion(unknown, ctx))).toBe('DM_ERR_VHDX_METADATA');
  });
});

describe('bat', () => {
  it('matches the geometry table of formats.md §1.7', () => {
    const cases: [number, number, number][] = [
      [512, MiB, 4096],
      [512, 2 * MiB, 2048],
      [512, 8 * MiB, 512],
      [512, 16 * MiB, 256],
      [512, 32 * MiB, 128],
      [512, 256 * MiB, 16],
      [4096, 32 * MiB, 1024],
    ];
    for (const [lss, bs, ratio] of cases) {
      const g = batGeometry(64 * 1024 ** 3, bs, lss, false);
      expect(g.chunkRatio).toBe(ratio);
      expect(MiB / g.chunkRatio).toBe(MiB / ratio);
    }
  });
  it('counts entries for dynamic and differencing disks', () => {
    const g = batGeometry(10 * 1024 ** 3, 32 * MiB, 512, false); // 320 blocks, ratio 128
    expect(g).toMatchObject({ payloadBlocks: 320, sectorBitmapBlocks: 3, entryCount: 322 });
    expect(batGeometry(10 * 1024 ** 3, 32 * MiB, 512, true).entryCount).toBe(3 * 129);
    expect(payloadEntryIndex(128, 128)).toBe(129);
    expect(bitmapEntryIndex(0, 128)).toBe(128);
    expect(bitmapEntryIndex(2, 128)).toBe(2 * 129 + 128);
  });
  it('writes and reads entries, including offsets above 4 GiB', () => {
    const bat = new Uint8Array(64);
    writeBatEntry(bat, 0, BatState.FullyPresent, 8 * MiB);
    expect(Buffer.from(bat.subarray(0, 8)).readBigUInt64LE()).toBe(0x800006n);
    writeBatEntry(bat, 3, BatState.PartiallyPresent, 2 ** 44 + 5 * MiB);
    expect(readBatState(bat, 3)).toBe(7);
    expect(readBatOffset(bat, 3)).toBe(2 ** 44 + 5 * MiB);
    expect(readBatOffset(bat, 0)).toBe(8 * MiB);
    validateBatEntryBits(bat, 3, ctx);
    bat[3 * 8 + 1] = 0x10;
    expect(codeOf(() => validateBatEntryBits(bat, 3, ctx))).toBe('DM_ERR_VHDX_BAT');
  });
});

describe('log', () => {
  it('encodes entries that decode and chain into the active sequence', () => {
    const logGuid = randomGuid();
    const sector = new Uint8Array(4096).map((_, i) => i & 0xff);
    const e1 = encodeLogEntry({
      sequenceNumber: 10n,
      logGuid,
      flushedFileOffset: 4 * MiB,
      lastFileOffset: 4 * MiB,
      descriptors: [{ kind: 'data', fileOffset: 2 * MiB, data: sector }],
    });
    const e2 = encodeLogEntry({
      sequenceNumber: 11n,
      logGuid,
      flushedFileOffset: 4 * MiB,
      lastFileOffset: 4 * MiB,
      descriptors: [{ kind: 'zero', fileOffset: 3 * MiB, zeroLength: 8192 }],
    });
    const log = new Uint8Array(MiB);
    log.set(e1, 0);
    log.set(e2, e1.length);
    const d = decodeLogEntry(log, 0, logGuid);
    expect(d?.descriptors[0]).toEqual({ kind: 'data', fileOffset: 2 * MiB, data: sector });
    expect(decodeLogEntry(log, 0, randomGuid())).toBeUndefined();
    const seq = findActiveSequence(log, logGuid);
    expect(seq.map((e) => e.sequenceNumber)).toEqual([10n, 11n]);
    log[100]! ^= 1;
    expect(findActiveSequence(log, logGuid).map((e) => e.sequenceNumber)).toEqual([11n]);
  });
});

describe('log search work bound', () => {
  it('refuses a log whose every sector starts a whole-log candidate entry', () => {
    const logGuid = randomGuid();
    const log = new Uint8Array(8 * MiB);
    const head = encodeLogEntry({
      sequenceNumber: 1n,
      logGuid,
      flushedFileOffset: 0,
      lastFileOffset: 0,
      descriptors: [],
    });
    const dv = new DataView(head.buffer);
    dv.setUint32(8, log.length, true); // claims the whole log: passes the header checks, fails the CRC
    for (let at = 0; at < log.length; at += 4096) log.set(head.subarray(0, 64), at);
    expect(codeOf(() => findActiveSequence(log, logGuid, ctx))).toBe('DM_ERR_VHDX_LOG');
  });
});
