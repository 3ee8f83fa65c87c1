/**
 * Malformed VHDX input: each case gives a typed DmError (or a documented fallback with a warning),
 * in bounded time and memory, before anything proportional to a forged size is allocated.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import { writeBatEntry } from '../../src/source/vhdx/format/bat.js';
import {
  BatState,
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  MiB,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_GUID_BAT,
} from '../../src/source/vhdx/format/constants.js';
import { randomGuid } from '../../src/source/vhdx/format/guid.js';
import { encodeHeader } from '../../src/source/vhdx/format/header.js';
import { encodeMetadataRegion } from '../../src/source/vhdx/format/metadata.js';
import { encodeRegionTable } from '../../src/source/vhdx/format/region-table.js';
import { openVhdx, type VhdxSource } from '../../src/source/vhdx/reader/vhdx-source.js';
import { hasTool } from '../helpers/tools.js';
import {
  addActiveLog,
  buildVhdx,
  expectedContent,
  pattern,
  scratch,
  writeAt,
  type BuiltVhdx,
  type VhdxSpec,
} from './helpers/build-vhdx.js';
import { qemuImg, qemuRaw } from './helpers/qemu.js';

const { dir, cleanup } = scratch('vhdx-bad');
afterAll(cleanup);

const spec: VhdxSpec = {
  virtualSize: 8 * MiB,
  blockSize: MiB,
  seed: 3,
  blocks: new Map([
    [0, { state: BatState.FullyPresent }],
    [2, { state: BatState.FullyPresent }],
    [3, { state: BatState.Zero }],
  ]),
};
let n = 0;
function fresh(s: VhdxSpec = spec): BuiltVhdx {
  return buildVhdx(path.join(dir, `img${n++}.vhdx`), s);
}

async function openCode(file: string, options?: Parameters<typeof openVhdx>[1]): Promise<string> {
  try {
    const src = await openVhdx(file, options);
    await src.close();
    return 'opened';
  } catch (err) {
    return isDmError(err) ? err.code : `not a DmError: ${String(err)}`;
  }
}

async function readAll(src: VhdxSource): Promise<Uint8Array> {
  const out = new Uint8Array(src.virtualSize);
  await src.read(out, 0);
  return out;
}

function setBat(img: BuiltVhdx, index: number, state: number, fileOffset: number): void {
  const bat = img.bat.slice();
  writeBatEntry(bat, index, state, fileOffset);
  writeAt(img.path, undefined, [{ offset: img.batOffset, data: bat }]);
}

describe('headers', () => {
  it('uses the other header when one is corrupt, with a warning', async () => {
    const img = fresh();
    writeAt(img.path, undefined, [{ offset: HEADER2_OFFSET + 200, data: new Uint8Array([1]) }]);
    const src = await openVhdx(img.path);
    expect(src.info.currentHeader).toBe(1);
    expect(src.info.warnings.join()).toMatch(/header 2 is invalid/);
    expect(Buffer.compare(await readAll(src), expectedContent([{ spec }]))).toBe(0);
    await src.close();
  });

  it('picks the greater sequence number, and refuses equal numbers unless identical', async () => {
    const img = fresh();
    writeAt(img.path, undefined, [
      { offset: HEADER1_OFFSET, data: encodeHeader({ ...img.header, sequenceNumber: 99n }) },
    ]);
    let src = await openVhdx(img.path);
    expect(src.info.currentHeader).toBe(1);
    await src.close();
    const same = encodeHeader(img.header);
    writeAt(img.path, undefined, [
      { offset: HEADER1_OFFSET, data: same },
      { offset: HEADER2_OFFSET, data: same },
    ]);
    src = await openVhdx(img.path);
    expect(src.info.currentHeader).toBe(1);
    await src.close();
    writeAt(img.path, undefined, [
      { offset: HEADER1_OFFSET, data: encodeHeader({ ...img.header, fileWriteGuid: randomGuid() }) },
    ]);
    expect(await openCode(img.path)).toBe('DM_ERR_VHDX_HEADER');
  });

  it('refuses when both headers are corrupt, and files that are not VHDX', async () => {
    const img = fresh();
    writeAt(img.path, undefined, [
      { offset: HEADER1_OFFSET + 8, data: new Uint8Array([9]) },
      { offset: HEADER2_OFFSET, data: new Uint8Array(4) },
    ]);
    expect(await openCode(img.path)).toBe('DM_ERR_VHDX_HEADER');
    const other = fresh();
    writeAt(other.path, undefined, [{ offset: 0, data: new TextEncoder().encode('vhdxfilx') }]);
    expect(await openCode(other.path)).toBe('DM_ERR_VHDX_SIGNATURE');
  });
});

describe('region tables', () => {
  it('falls back to table 2 when table 1 is corrupt, and warns on mismatch', async () => {
    const img = fresh();
    writeAt(img.path, undefined, [{ offset: REGION1_OFFSET + 5000, data: new Uint8Array([1]) }]);
    let src = await openVhdx(img.path);
    expect(src.info.regionTable).toBe(2);
    await src.close();
    const moved = img.regions.map((r) => ({ ...r, required: false }));
    writeAt(img.path, undefined, [{ offset: REGION1_OFFSET, data: encodeRegionTable(moved) }]);
    src = await openVhdx(img.path);
    expect(src.info.regionTable).toBe(1);
    expect(src.info.warnings.join()).toMatch(/differ/);
    await src.close();
  });

  it('refuses overlapping regions and blocks overlapping a region', async () => {
    const img = fresh();
    const overlap = img.regions.map((r) =>
      r.guid === REGION_GUID_BAT ? { ...r, fileOffset: img.metadataOffset } : r,
    );
    writeAt(img.path, undefined, [
      { offset: REGION1_OFFSET, data: encodeRegionTable(overlap) },
      { offset: REGION2_OFFSET, data: encodeRegionTable(overlap) },
    ]);
    expect(await openCode(img.path)).toBe('DM_ERR_VHDX_REGION_OVERLAP');
    const img2 = fresh();
    setBat(img2, 1, BatState.FullyPresent, img2.metadataOffset);
    expect(await openCode(img2.path)).toBe('DM_ERR_VHDX_REGION_OVERLAP');
    const img3 = fresh();
    const intoLog = img3.regions.map((r) => (r.guid === REGION_GUID_BAT ? { ...r, fileOffset: MiB } : r));
    writeAt(img3.path, undefined, [
      { offset: REGION1_OFFSET, data: encodeRegionTable(intoLog) },
      { offset: REGION2_OFFSET, data: encodeRegionTable(intoLog) },
    ]);
    expect(await openCode(img3.path)).toBe('DM_ERR_VHDX_REGION_OVERLAP');
  });
});

describe('BAT', () => {
  const cases: [string, (img: BuiltVhdx) => void, string][] = [
    ['reserved state 4', (img) => setBat(img, 1, 4, 0), 'DM_ERR_VHDX_BAT'],
    [
      'PARTIALLY_PRESENT without a parent',
      (img) => setBat(img, 1, BatState.PartiallyPresent, img.blockOffsets.get(0)!),
      'DM_ERR_VHDX_BAT',
    ],
    [
      'an entry past the end of the file',
      (img) => setBat(img, 5, BatState.FullyPresent, img.fileSize + 64 * MiB),
      'DM_ERR_VHDX_BAT_RANGE',
    ],
    ['FULLY_PRESENT at offset 0', (img) => setBat(img, 5, BatState.FullyPresent, 0), 'DM_ERR_VHDX_BAT'],
    [
      'reserved bits',
      (img) =>
        writeAt(img.path, undefined, [{ offset: img.batOffset + 8 + 1, data: new Uint8Array([0x40]) }]),
      'DM_ERR_VHDX_BAT',
    ],
  ];
  for (const [name, corrupt, want] of cases) {
    it(`refuses ${name}`, async () => {
      const img = fresh();
      corrupt(img);
      expect(await openCode(img.path)).toBe(want);
    });
  }

  it('reads legacy state 5 as unmapped and ignores garbage sector-bitmap entries with a warning', async () => {
    const big: VhdxSpec = {
      virtualSize: 4100 * MiB,
      blockSize: MiB,
      blocks: new Map([[4097, { state: BatState.FullyPresent }]]),
    };
    const img = fresh(big);
    const bat = img.bat.slice();
    writeBatEntry(bat, 4096, 3, 123 * MiB); // chunk 0's sector-bitmap entry: qemu bug residue
    writeBatEntry(bat, 2, 5, 0);
    writeAt(img.path, undefined, [{ offset: img.batOffset, data: bat }]);
    const src = await openVhdx(img.path);
    expect(src.info.warnings.join()).toMatch(/sector-bitmap/);
    expect(src.info.payloadStates.unmapped).toBe(1);
    const buf = new Uint8Array(MiB);
    await src.read(buf, 4097 * MiB);
    expect(Buffer.compare(buf, pattern(MiB, 1000 + 4097))).toBe(0);
    await src.read(buf, 2 * MiB);
    expect(buf.every((b) => b === 0)).toBe(true);
    await src.close();
  });
});

describe('truncation and forged sizes', () => {
  it('reports a truncated file instead of zero-filling it', async () => {
    const img = fresh();
    truncateSync(img.path, img.blockOffsets.get(2)! + MiB / 2);
    expect(await openCode(img.path)).toBe('DM_ERR_VHDX_BAT_RANGE');
    const img2 = fresh();
    truncateSync(img2.path, img2.metadataOffset + 4096);
    expect(await openCode(img2.path)).toBe('DM_ERR_SOURCE_TRUNCATED');
    const img3 = fresh();
    truncateSync(img3.path, 70000);
    expect(await openCode(img3.path)).toBe('DM_ERR_SOURCE_TRUNCATED');
  });

  it('reports a file that shrinks after open on read', async () => {
    const img = fresh();
    const src = await openVhdx(img.path);
    truncateSync(img.path, img.blockOffsets.get(2)! + 4096);
    await expect(src.read(new Uint8Array(MiB), 2 * MiB)).rejects.toMatchObject({
      code: 'DM_ERR_SOURCE_TRUNCATED',
    });
    await src.close();
  });

  it('refuses absurd virtual and BAT sizes before allocating', async () => {
    const rss0 = process.memoryUsage().rss;
    const meta = { ...fresh().meta };
    const img = fresh();
    // 64 TiB with 1 MiB blocks needs a 512 MiB BAT; the region holds 1 MiB.
    writeAt(img.path, undefined, [
      { offset: img.metadataOffset, data: encodeMetadataRegion({ ...meta, virtualSize: 2 ** 46 }, MiB) },
    ]);
    expect(await openCode(img.path)).toBe('DM_ERR_VHDX_BAT');
    const img2 = fresh();
    writeAt(img2.path, undefined, [
      { offset: img2.metadataOffset, data: encodeMetadataRegion({ ...meta, virtualSize: 2 ** 52 }, MiB) },
    ]);
    expect(await openCode(img2.path)).toBe('DM_ERR_VHDX_VIRTUAL_SIZE');
    // A region table claiming a 4 GiB BAT in a small sparse file.
    const img3 = fresh();
    const huge = img3.regions.map((r) =>
      r.guid === REGION_GUID_BAT ? { ...r, fileOffset: 64 * MiB, length: 4095 * MiB } : r,
    );
    writeAt(img3.path, undefined, [
      { offset: REGION1_OFFSET, data: encodeRegionTable(huge) },
      { offset: REGION2_OFFSET, data: encodeRegionTable(huge) },
    ]);
    expect(await openCode(img3.path)).toBe('DM_ERR_SOURCE_TRUNCATED');
    // The same claim in a (sparse) file that really is that long: refused by the 513 MiB cap.
    truncateSync(img3.path, 5 * 1024 * MiB);
    expect(await openCode(img3.path)).toBe('DM_ERR_VHDX_BAT');
    const img4 = fresh();
    writeAt(img4.path, undefined, [
      { offset: img4.metadataOffset, data: encodeMetadataRegion({ ...meta, blockSize: 512 * MiB }, MiB) },
    ]);
    expect(await openCode(img4.path)).toBe('DM_ERR_VHDX_BLOCK_SIZE');
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * MiB);
  });

  it('rejects reads outside the virtual disk', async () => {
    const src = await openVhdx(fresh().path);
    const buf = new Uint8Array(MiB);
    await expect(src.read(buf, 8 * MiB - 10, 20)).rejects.toMatchObject({ code: 'DM_ERR_SOURCE_RANGE' });
    await expect(src.read(buf, -1, 1)).rejects.toMatchObject({ code: 'DM_ERR_SOURCE_RANGE' });
    expect(() => [...src.extents(0, 9 * MiB)]).toThrow(
      expect.objectContaining({ code: 'DM_ERR_SOURCE_RANGE' }),
    );
    await src.close();
    await expect(src.read(buf, 0, 1)).rejects.toMatchObject({ code: 'DM_ERR_ARG_INVALID' });
  });
});

describe('active log', () => {
  /** The file's BAT says block 5 is NOT_PRESENT; the log's BAT sector says FULLY_PRESENT. */
  function withLog(): { img: BuiltVhdx; spec: VhdxSpec } {
    const s: VhdxSpec = {
      ...spec,
      blocks: new Map([...spec.blocks!, [5, { state: BatState.FullyPresent }]]),
    };
    const img = fresh(s);
    const logged = img.bat.slice(0, 4096);
    const onDisk = img.bat.slice();
    writeBatEntry(onDisk, 5, BatState.NotPresent, 0);
    writeAt(img.path, undefined, [{ offset: img.batOffset, data: onDisk }]);
    const sector = new Uint8Array(4096);
    sector.set(logged);
    addActiveLog(img, randomGuid(), [
      {
        sequenceNumber: 7n,
        flushedFileOffset: img.fileSize,
        lastFileOffset: img.fileSize,
        descriptors: [{ kind: 'data', fileOffset: img.batOffset, data: sector }],
      },
      {
        sequenceNumber: 8n,
        flushedFileOffset: img.fileSize,
        lastFileOffset: img.fileSize,
        descriptors: [{ kind: 'zero', fileOffset: img.blockOffsets.get(0)! + 8192, zeroLength: 8192 }],
      },
    ]);
    const block0 = s.blocks!.get(0)!;
    const data = expectedContent([{ spec: s }]);
    data.fill(0, 8192, 16384);
    return {
      img,
      spec: { ...s, blocks: new Map([...s.blocks!, [0, { ...block0, data: data.subarray(0, MiB) }]]) },
    };
  }

  it('replays the log in memory without writing the file', async () => {
    const { img, spec: s } = withLog();
    const before = fileHash(img.path);
    const src = await openVhdx(img.path);
    expect(src.info.log).toMatchObject({ entries: 2, headSequence: 8n });
    expect(Buffer.compare(await readAll(src), expectedContent([{ spec: s }]))).toBe(0);
    await src.close();
    expect(fileHash(img.path)).toBe(before);
  });

  it('refuses with the qemu remedy when replay is off', async () => {
    const { img } = withLog();
    const err = await openVhdx(img.path, { replayLog: false }).catch((e: unknown) => e);
    expect(isDmError(err, 'DM_ERR_VHDX_LOG_ACTIVE')).toBe(true);
    expect((err as Error).message).toContain('qemu-img check -r all');
  });

  it('opens normally, with a warning, when LogGuid is set but no sequence is valid', async () => {
    const img = fresh();
    writeAt(img.path, undefined, [
      {
        offset: HEADER2_OFFSET,
        data: encodeHeader({ ...img.header, logGuid: randomGuid(), sequenceNumber: 50n }),
      },
    ]);
    const src = await openVhdx(img.path, { replayLog: false });
    expect(src.info.warnings.join()).toMatch(/no valid sequence/);
    await src.close();
  });

  it.skipIf(!hasTool('qemu-img'))('matches what qemu-img check -r all replays', async () => {
    const { img, spec: s } = withLog();
    const copy = `${img.path}.copy.vhdx`;
    copyFileSync(img.path, copy);
    qemuImg('check', '-q', '-r', 'all', copy);
    expect(Buffer.compare(qemuRaw(copy, `${copy}.raw`), expectedContent([{ spec: s }]))).toBe(0);
  });
});

/** Content fingerprint of a file (it must not change while we read it). */
function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
