/**
 * VHDX writer unit tests, checked with the format codec's decoders (no reader needed): option
 * validation, headers, region table, metadata, parent locator and BAT states per write pattern.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import {
  BatState,
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  REGION1_OFFSET,
  SbState,
} from '../../src/source/vhdx/format/constants.js';
import {
  bitmapEntryIndex,
  payloadEntryIndex,
  readBatOffset,
  readBatState,
} from '../../src/source/vhdx/format/bat.js';
import { decodeHeader } from '../../src/source/vhdx/format/header.js';
import { decodeMetadataRegion, type VhdxMetadata } from '../../src/source/vhdx/format/metadata.js';
import { decodeRegionTable } from '../../src/source/vhdx/format/region-table.js';
import { REGION_GUID_BAT, REGION_GUID_METADATA } from '../../src/source/vhdx/format/constants.js';
import { openImage } from '../../src/source/open-image.js';
import { createVhdx, type VhdxWriter } from '../../src/source/vhdx/writer/vhdx-writer.js';
import type { VhdxWriteOptions } from '../../src/source/vhdx/writer/options.js';
import { MiB, scratchDir } from './vhdx-writer-helpers.js';

const scratch = scratchDir('vhdx-writer');
afterAll(() => scratch.cleanup());
let n = 0;
const file = (name = 'd') => path.join(scratch.dir, `${name}-${n++}.vhdx`);

interface Parsed {
  bytes: Uint8Array;
  meta: VhdxMetadata;
  bat: Uint8Array;
  batOffset: number;
  headers: ReturnType<typeof decodeHeader>[];
}

function parse(p: string): Parsed {
  const bytes = new Uint8Array(readFileSync(p));
  const regions = decodeRegionTable(bytes.subarray(REGION1_OFFSET), { file: p, offset: REGION1_OFFSET });
  const batR = regions.find((r) => r.guid === REGION_GUID_BAT)!;
  const metaR = regions.find((r) => r.guid === REGION_GUID_METADATA)!;
  return {
    bytes,
    meta: decodeMetadataRegion(bytes.subarray(metaR.fileOffset, metaR.fileOffset + metaR.length), {
      file: p,
      offset: metaR.fileOffset,
    }),
    bat: bytes.subarray(batR.fileOffset, batR.fileOffset + batR.length),
    batOffset: batR.fileOffset,
    headers: [HEADER1_OFFSET, HEADER2_OFFSET].map((o) =>
      decodeHeader(bytes.subarray(o), { file: p, offset: o }),
    ),
  };
}

async function expectCode(p: Promise<unknown>, code: string, field?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDmError(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  if (field) expect((err as Error).message).toContain(`field ${field}`);
}

const filled = (len: number, v: number) => new Uint8Array(len).fill(v);

describe('createVhdx option validation', () => {
  const bad: [string, VhdxWriteOptions, string][] = [
    ['block size not a power of two', { virtualSize: 8 * MiB, blockSize: 3 * MiB }, 'blockSize'],
    ['block size above 256 MiB', { virtualSize: 8 * MiB, blockSize: 512 * MiB }, 'blockSize'],
    ['block size below 1 MiB', { virtualSize: 8 * MiB, blockSize: 512 * 1024 }, 'blockSize'],
    ['unaligned virtual size', { virtualSize: 8 * MiB + 100 }, 'virtualSize'],
    ['virtual size not 4096-aligned', { virtualSize: 8 * MiB + 512, logicalSectorSize: 4096 }, 'virtualSize'],
    ['zero virtual size', { virtualSize: 0 }, 'virtualSize'],
    ['missing virtual size', {}, 'virtualSize'],
    ['virtual size above 64 TiB', { virtualSize: 2 ** 46 + 512 }, 'virtualSize'],
    ['sector size 1024', { virtualSize: 8 * MiB, logicalSectorSize: 1024 as 512 }, 'logicalSectorSize'],
    [
      'physical below logical',
      { virtualSize: 8 * MiB, logicalSectorSize: 4096, physicalSectorSize: 512 },
      'physicalSectorSize',
    ],
    ['unknown subformat', { virtualSize: 8 * MiB, subformat: 'sparse' as 'fixed' }, 'subformat'],
  ];
  for (const [name, opts, field] of bad) {
    it(`refuses ${name}`, async () => {
      const p = file();
      await expectCode(createVhdx(p, opts), 'DM_ERR_VHDX_WRITE_OPTION', field);
      expect(() => statSync(p)).toThrow();
    });
  }

  it('refuses to make a child over its own parent (the parent is left intact)', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 4 * MiB, blockSize: MiB });
    await w.close();
    const before = readFileSync(p);
    await expectCode(createVhdx(p, { parent: { path: p } }), 'DM_ERR_VHDX_WRITE_OPTION', 'parent');
    expect(readFileSync(p).equals(before)).toBe(true);
  });

  it('refuses misaligned and out-of-range writes', async () => {
    const w = await createVhdx(file(), { virtualSize: 4 * MiB, blockSize: MiB });
    await expectCode(w.write(filled(512, 1), 100), 'DM_ERR_VHDX_WRITE_RANGE');
    await expectCode(w.write(filled(100, 1), 0), 'DM_ERR_VHDX_WRITE_RANGE');
    await expectCode(w.write(filled(1024, 1), 4 * MiB - 512), 'DM_ERR_VHDX_WRITE_RANGE');
    await w.close();
  });
});

describe('createVhdx structures', () => {
  it('writes two valid headers, n and n+1, with the writer DataWriteGuid, an empty log', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 4 * MiB, blockSize: MiB, creator: 'unit test' });
    await w.close();
    const { headers, meta } = parse(p);
    expect(headers[1]!.sequenceNumber).toBe(headers[0]!.sequenceNumber + 1n);
    for (const h of headers) {
      expect(h.dataWriteGuid).toBe(w.dataWriteGuid);
      expect(h.logGuid).toBe('00000000-0000-0000-0000-000000000000');
      expect(h.logOffset).toBe(MiB);
      expect(h.logLength).toBe(MiB);
    }
    expect(headers[0]!.fileWriteGuid).toBe(headers[1]!.fileWriteGuid);
    expect(meta).toMatchObject({
      blockSize: MiB,
      virtualSize: 4 * MiB,
      hasParent: false,
      leaveBlockAllocated: false,
    });
    expect(meta.logicalSectorSize).toBe(512);
    expect(meta.physicalSectorSize).toBe(4096);
  });

  it('defaults to 32 MiB blocks', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 100 * MiB });
    await w.close();
    expect(parse(p).meta.blockSize).toBe(32 * MiB);
  });

  it('leaves the headers zero until close (a crash before close is no valid VHDX)', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 4 * MiB, blockSize: MiB });
    await w.write(filled(4096, 7), 0);
    const before = new Uint8Array(readFileSync(p));
    expect(before.subarray(HEADER1_OFFSET, HEADER1_OFFSET + 4096).every((b) => b === 0)).toBe(true);
    expect(before.subarray(HEADER2_OFFSET, HEADER2_OFFSET + 4096).every((b) => b === 0)).toBe(true);
    await w.close();
    expect(parse(p).headers).toHaveLength(2);
  });

  it('close waits for writes still in flight', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 8 * MiB, blockSize: MiB });
    const writes = Array.from({ length: 8 }, (_, i) => w.write(filled(MiB, i + 1), (7 - i) * MiB));
    await w.close();
    await Promise.all(writes);
    const src = await openImage(p);
    try {
      const got = new Uint8Array(8 * MiB);
      await src.read(got, 0, got.length, 0);
      for (let i = 0; i < 8; i++) expect(got[(7 - i) * MiB + 12345]).toBe(i + 1);
    } finally {
      await src.close();
    }
  });

  it('abort removes the file', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 4 * MiB, blockSize: MiB });
    await w.write(filled(4096, 7), 0);
    await w.abort();
    expect(() => statSync(p)).toThrow();
  });
});

describe('dynamic BAT states', () => {
  it('never allocates all-zero data; allocates non-zero blocks at the end in write order', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 4 * MiB + 1024, blockSize: MiB });
    await w.write(filled(MiB, 0), 0); // whole zero block
    await w.write(filled(512, 0), 3 * MiB); // partial zero write
    await w.write(filled(512, 9), 2 * MiB + 512); // partial non-zero
    await w.write(filled(1024, 5), 4 * MiB); // the short last block
    await w.close();
    const { bat, bytes } = parse(p);
    const dataStart = 4 * MiB; // header section, log, BAT, metadata
    expect(readBatState(bat, payloadEntryIndex(0, 4096))).toBe(BatState.NotPresent);
    expect(readBatState(bat, payloadEntryIndex(3, 4096))).toBe(BatState.NotPresent);
    expect(readBatState(bat, payloadEntryIndex(2, 4096))).toBe(BatState.FullyPresent);
    expect(readBatOffset(bat, payloadEntryIndex(2, 4096))).toBe(dataStart);
    expect(readBatOffset(bat, payloadEntryIndex(4, 4096))).toBe(dataStart + MiB);
    expect(bytes.length).toBe(dataStart + 2 * MiB);
    expect(bytes[dataStart + 512]).toBe(9);
    expect(bytes[dataStart + 511]).toBe(0);
  });

  it('fixed: every block FULLY_PRESENT in order, LeaveBlockAllocated set, file preallocated', async () => {
    const p = file();
    const w = await createVhdx(p, { virtualSize: 3 * MiB, blockSize: MiB, subformat: 'fixed' });
    await w.close();
    const { bat, bytes, meta } = parse(p);
    expect(meta.leaveBlockAllocated).toBe(true);
    for (let b = 0; b < 3; b++) {
      expect(readBatState(bat, b)).toBe(BatState.FullyPresent);
      expect(readBatOffset(bat, b)).toBe(4 * MiB + b * MiB);
    }
    expect(bytes.length).toBe(7 * MiB);
  });
});

describe('differencing child', () => {
  async function parentAndChild(
    logicalSectorSize: 512 | 4096,
  ): Promise<{ parent: VhdxWriter; childPath: string; child: VhdxWriter }> {
    const dir = path.join(scratch.dir, `chain-${n++}`);
    mkdirSync(path.join(dir, 'base'), { recursive: true });
    const parentPath = path.join(dir, 'base', 'parent.vhdx');
    const parent = await createVhdx(parentPath, { virtualSize: 4 * MiB, blockSize: MiB, logicalSectorSize });
    await parent.write(filled(4 * MiB, 0xaa), 0);
    await parent.close();
    const childPath = path.join(dir, 'child.avhdx');
    const child = await createVhdx(childPath, { parent: { path: parentPath }, blockSize: MiB });
    return { parent, childPath, child };
  }

  it('stores the parent linkage, relative and absolute paths, and inherits size and sectors', async () => {
    const { parent, childPath, child } = await parentAndChild(4096);
    await child.close();
    const { meta } = parse(childPath);
    expect(meta.hasParent).toBe(true);
    expect(meta.virtualSize).toBe(4 * MiB);
    expect(meta.logicalSectorSize).toBe(4096);
    expect(meta.parentLocator?.parentLinkage).toBe(`{${parent.dataWriteGuid}}`);
    expect(meta.parentLocator?.relativePath).toBe('base\\parent.vhdx');
    expect(meta.parentLocator?.absoluteWin32Path).toContain('\\base\\parent.vhdx');
  });

  it('refuses a logical sector size different from the parent', async () => {
    const { childPath, child } = await parentAndChild(512);
    await child.close();
    await expectCode(
      createVhdx(file(), { parent: { path: childPath }, logicalSectorSize: 4096 }),
      'DM_ERR_VHDX_WRITE_OPTION',
      'logicalSectorSize',
    );
  });

  it('records zero blocks as ZERO, partial writes as PARTIALLY_PRESENT with a sector bitmap', async () => {
    const { childPath, child } = await parentAndChild(512);
    await child.write(filled(MiB, 0), 0); // whole zero block: must hide the parent
    await child.write(filled(1024, 0), MiB + 4096); // partial zero write: recorded too
    await child.write(filled(MiB, 3), 2 * MiB); // whole block
    await child.write(filled(MiB - 512, 4), 3 * MiB + 512); // all but the first sector...
    await child.write(filled(512, 5), 3 * MiB); // ...then the first: becomes FULLY_PRESENT
    await child.close();
    const { bat, bytes } = parse(childPath);
    const cr = 4096;
    expect(readBatState(bat, payloadEntryIndex(0, cr))).toBe(BatState.Zero);
    expect(readBatOffset(bat, payloadEntryIndex(0, cr))).toBe(0);
    expect(readBatState(bat, payloadEntryIndex(1, cr))).toBe(BatState.PartiallyPresent);
    expect(readBatState(bat, payloadEntryIndex(2, cr))).toBe(BatState.FullyPresent);
    expect(readBatState(bat, payloadEntryIndex(3, cr))).toBe(BatState.FullyPresent);
    expect(readBatState(bat, bitmapEntryIndex(0, cr))).toBe(SbState.Present);
    const sb = readBatOffset(bat, bitmapEntryIndex(0, cr));
    // Block 1's 256-byte slice: sectors 8 and 9 written -> byte 1, bits 0 and 1.
    const slice = bytes.subarray(sb + 1 * 256, sb + 2 * 256);
    expect(Array.from(slice.subarray(0, 3))).toEqual([0, 0b11, 0]);
    expect(slice.subarray(2).every((b) => b === 0)).toBe(true);
    expect(bytes.length).toBe(sb + MiB);
  });
});
