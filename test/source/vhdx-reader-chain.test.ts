/**
 * Differencing chains and 4096-byte sectors, on images built with the format codec: FULLY_PRESENT,
 * PARTIALLY_PRESENT through sector bitmaps, NOT_PRESENT falling through, parents smaller than the
 * child, every locator key, and the chain errors.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import type { Extent } from '../../src/source/disk-source.js';
import { openImage } from '../../src/source/open-image.js';
import { BatState } from '../../src/source/vhdx/format/constants.js';
import { randomGuid } from '../../src/source/vhdx/format/guid.js';
import { openVhdx, type VhdxSource } from '../../src/source/vhdx/reader/vhdx-source.js';
import { hasTool } from '../helpers/tools.js';
import {
  buildVhdx,
  expectedContent,
  MiB,
  pattern,
  relativeLocator,
  scratch,
  type BlockSpec,
  type VhdxSpec,
} from './helpers/build-vhdx.js';
import { qemuRaw } from './helpers/qemu.js';

const { dir, cleanup } = scratch('vhdx-chain');
afterAll(cleanup);

const { FullyPresent: F, PartiallyPresent: P, NotPresent: N, Zero: Z, Undefined: U, Unmapped: M } = BatState;

/** A bitmap with one bit per sector: runs of 1s and 0s of varying length. */
function bitmap(sectors: number, seed: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(sectors / 8));
  const rnd = pattern(sectors, seed);
  let bit = 1;
  for (let s = 0; s < sectors; s++) {
    if (rnd[s]! < 40) bit ^= 1;
    if (bit) bits[s >> 3]! |= 1 << (s & 7);
  }
  return bits;
}

function blocks(entries: [number, number, Uint8Array?][]): Map<number, BlockSpec> {
  return new Map(entries.map(([b, state, bm]) => [b, bm ? { state, bitmap: bm } : { state }]));
}

async function readAll(src: VhdxSource, chunk = MiB): Promise<Uint8Array> {
  const out = new Uint8Array(src.virtualSize);
  for (let off = 0; off < src.virtualSize; off += chunk) {
    await src.read(out, off, Math.min(chunk, src.virtualSize - off), off);
  }
  return out;
}

/** Extents must tile the disk, be coalesced, and never call non-zero bytes anything but present. */
function checkExtents(extents: Extent[], content: Uint8Array): void {
  let at = 0;
  extents.forEach((e, i) => {
    expect(e.offset).toBe(at);
    if (i > 0) expect(e.kind).not.toBe(extents[i - 1]!.kind);
    if (e.kind !== 'present')
      expect(content.subarray(e.offset, e.offset + e.length).every((b) => b === 0)).toBe(true);
    at += e.length;
  });
  expect(at).toBe(content.length);
}

function code(err: unknown): string {
  return isDmError(err) ? err.code : `not a DmError: ${String(err)}`;
}

describe('differencing chain of depth 3', () => {
  const baseDir = path.join(dir, 'base');
  const kidsDir = path.join(dir, 'kids');
  mkdirSync(baseDir);
  mkdirSync(kidsDir);
  const lss = 512;
  const base: VhdxSpec = {
    virtualSize: 12 * MiB,
    blockSize: MiB,
    seed: 1,
    blocks: blocks([
      [0, F],
      [1, F],
      [2, Z],
      [4, F],
      [5, F],
      [6, F],
      [9, F],
      [11, F],
    ]),
  };
  const baseImg = buildVhdx(path.join(baseDir, 'base.vhdx'), base);
  const midPath = path.join(kidsDir, 'mid.vhdx');
  const mid: VhdxSpec = {
    virtualSize: 16 * MiB,
    blockSize: 2 * MiB,
    seed: 2,
    parentLocator: relativeLocator(midPath, baseImg),
    blocks: blocks([
      [0, P, bitmap((2 * MiB) / lss, 7)],
      [1, N],
      [2, Z],
      [3, P, bitmap((2 * MiB) / lss, 8)],
      [4, U],
      [5, F],
      [6, M],
    ]),
  };
  const midImg = buildVhdx(midPath, mid);
  const topPath = path.join(kidsDir, 'top.vhdx');
  const top: VhdxSpec = {
    virtualSize: 20 * MiB,
    blockSize: MiB,
    seed: 3,
    // Only Windows-style hints: the volume path's file name, next to the child.
    parentLocator: {
      parentLinkage: `{${midImg.dataWriteGuid}}`,
      volumePath: '\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\vms\\mid.vhdx',
    },
    blocks: blocks([
      [1, P, bitmap(MiB / lss, 9)],
      [6, P, bitmap(MiB / lss, 10)],
      [7, F],
      [13, Z],
      [18, F],
    ]),
  };
  buildVhdx(topPath, top);
  const expected = expectedContent([{ spec: top }, { spec: mid }, { spec: base }]);

  it('reads every byte as the reference model says, in both I/O modes and with a paged BAT', async () => {
    for (const [io, maxResidentBat] of [
      ['async', undefined],
      ['sync', undefined],
      ['async', 0],
    ] as const) {
      const src = await openVhdx(topPath, {
        io,
        ...(maxResidentBat === undefined ? {} : { maxResidentBat }),
      });
      expect(src.info.batResident).toBe(maxResidentBat === undefined);
      expect(src.info.parentChain).toEqual([midPath, baseImg.path]);
      expect(src.info.payloadStates.partiallyPresent).toBe(2);
      expect(src.info.parents[0]!.bitmapStates.present).toBe(1);
      for (const chunk of [MiB, 3 * MiB + 512, 4096]) {
        expect(Buffer.compare(await readAll(src, chunk), expected)).toBe(0);
      }
      await src.close();
    }
  });

  it('reads unaligned ranges and reports extents consistent with the data', async () => {
    const src = await openImage(topPath);
    const buf = new Uint8Array(4 * MiB + 100);
    let x = 99;
    for (let i = 0; i < 60; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const off = x % src.virtualSize;
      const len = Math.min(src.virtualSize - off, (x >>> 7) % (4 * MiB));
      await src.read(buf, off, len, 100);
      expect(Buffer.compare(buf.subarray(100, 100 + len), expected.subarray(off, off + len))).toBe(0);
    }
    const extents = [...src.extents()];
    checkExtents(extents, expected);
    // Blocks never written anywhere in the chain are absent; past the base's end, nothing is present.
    expect([...src.extents(3 * MiB, MiB)]).toEqual([{ offset: 3 * MiB, length: MiB, kind: 'absent' }]);
    expect([...src.extents(16 * MiB, MiB)]).toEqual([{ offset: 16 * MiB, length: MiB, kind: 'absent' }]);
    expect([...src.extents(13 * MiB, MiB)]).toEqual([{ offset: 13 * MiB, length: MiB, kind: 'zero' }]);
    await src.close();
  });

  it('serves many concurrent reads on one source correctly', async () => {
    const src = await openVhdx(topPath);
    const piece = 768 * 1024 + 512;
    const offsets = Array.from({ length: Math.floor(src.virtualSize / piece) }, (_, i) => i * piece);
    const bufs = offsets.map(() => new Uint8Array(piece));
    await Promise.all(offsets.map((off, i) => src.read(bufs[i]!, off)));
    offsets.forEach((off, i) =>
      expect(Buffer.compare(bufs[i]!, expected.subarray(off, off + piece))).toBe(0),
    );
    await src.close();
  });

  it('reads the middle of the chain on its own', async () => {
    const src = await openVhdx(midPath);
    expect(Buffer.compare(await readAll(src), expectedContent([{ spec: mid }, { spec: base }]))).toBe(0);
    await src.close();
  });
});

describe('parent locators and chain errors', () => {
  const parentSpec: VhdxSpec = {
    virtualSize: 4 * MiB,
    blockSize: MiB,
    seed: 5,
    blocks: blocks([
      [0, F],
      [2, F],
    ]),
  };
  const parent = buildVhdx(path.join(dir, 'p.vhdx'), parentSpec);
  const childSpec = (loc: VhdxSpec['parentLocator'], extra: Partial<VhdxSpec> = {}): VhdxSpec => ({
    virtualSize: 4 * MiB,
    blockSize: MiB,
    seed: 6,
    parentLocator: loc,
    blocks: blocks([[2, F]]),
    ...extra,
  });
  const linkage = `{${parent.dataWriteGuid}}`;

  it('resolves absolute POSIX and \\\\?\\X: hint paths, and parent_linkage2', async () => {
    const a = path.join(dir, 'abs.vhdx');
    buildVhdx(a, childSpec({ parentLinkage: linkage, absoluteWin32Path: parent.path }));
    const b = path.join(dir, 'hint.vhdx');
    buildVhdx(
      b,
      childSpec({
        parentLinkage: `{${randomGuid()}}`,
        parentLinkage2: linkage.toUpperCase(),
        absoluteWin32Path: 'C:\\VMs\\p.vhdx',
      }),
    );
    const want = expectedContent([{ spec: childSpec(undefined) }, { spec: parentSpec }]);
    for (const file of [a, b]) {
      const src = await openVhdx(file);
      expect(src.info.parentChain).toEqual([parent.path]);
      expect(Buffer.compare(await readAll(src), want)).toBe(0);
      await src.close();
    }
  });

  it('prefers relative_path over the other keys', async () => {
    const other = buildVhdx(path.join(dir, 'decoy-dir-p.vhdx'), parentSpec);
    const file = path.join(dir, 'pref.vhdx');
    buildVhdx(file, childSpec({ ...relativeLocator(file, parent), absoluteWin32Path: other.path }));
    const src = await openVhdx(file);
    expect(src.info.parentChain).toEqual([parent.path]);
    await src.close();
  });

  const failures: [string, () => string][] = [
    [
      'DM_ERR_VHDX_PARENT_MISSING',
      () =>
        buildVhdx(
          path.join(dir, 'orphan.vhdx'),
          childSpec({ parentLinkage: linkage, relativePath: 'nope\\gone.vhdx' }),
        ).path,
    ],
    [
      'DM_ERR_VHDX_PARENT_LINKAGE',
      () =>
        buildVhdx(
          path.join(dir, 'stale.vhdx'),
          childSpec({ parentLinkage: `{${randomGuid()}}`, relativePath: 'p.vhdx' }),
        ).path,
    ],
    [
      'DM_ERR_VHDX_PARENT_LOCATOR',
      () =>
        buildVhdx(
          path.join(dir, 'badlink.vhdx'),
          childSpec({ parentLinkage: 'not-a-guid', relativePath: 'p.vhdx' }),
        ).path,
    ],
    [
      'DM_ERR_VHDX_CHAIN',
      () => {
        const self = path.join(dir, 'self.vhdx');
        return buildVhdx(self, childSpec({ parentLinkage: linkage, relativePath: 'self.vhdx' })).path;
      },
    ],
    [
      'DM_ERR_VHDX_CHAIN',
      () => {
        const p4 = buildVhdx(path.join(dir, 'p4k.vhdx'), { ...parentSpec, logicalSectorSize: 4096 });
        const file = path.join(dir, 'mixed.vhdx');
        return buildVhdx(file, childSpec(relativeLocator(file, p4))).path;
      },
    ],
  ];
  for (const [want, make] of failures) {
    it(`fails with ${want}`, async () => {
      const file = make();
      const err = await openVhdx(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(code(err)).toBe(want);
    });
  }

  it('caps chains at 256 files', async () => {
    const deep = path.join(dir, 'deep');
    mkdirSync(deep);
    let prev = buildVhdx(path.join(deep, 'c0.vhdx'), { virtualSize: MiB, blockSize: MiB });
    for (let i = 1; i <= 256; i++) {
      const file = path.join(deep, `c${i}.vhdx`);
      prev = buildVhdx(file, {
        virtualSize: MiB,
        blockSize: MiB,
        parentLocator: relativeLocator(file, prev),
      });
    }
    await expect(openVhdx(prev.path)).rejects.toMatchObject({ code: 'DM_ERR_VHDX_CHAIN' });
    const ok = await openVhdx(path.join(deep, 'c255.vhdx'));
    expect(ok.info.parentChain.length).toBe(255);
    await ok.close();
  });
});

describe('4096-byte logical sectors', () => {
  it('reads a differencing pair with 4 KiB sector bitmaps', async () => {
    const lss = 4096;
    const base: VhdxSpec = {
      virtualSize: 6 * MiB,
      blockSize: MiB,
      logicalSectorSize: lss,
      seed: 11,
      blocks: blocks([
        [0, F],
        [1, F],
        [3, F],
      ]),
    };
    const baseImg = buildVhdx(path.join(dir, 'b4k.vhdx'), base);
    const file = path.join(dir, 'c4k.vhdx');
    const child: VhdxSpec = {
      virtualSize: 8 * MiB,
      blockSize: MiB,
      logicalSectorSize: lss,
      seed: 12,
      parentLocator: relativeLocator(file, baseImg),
      blocks: blocks([
        [0, P, bitmap(MiB / lss, 3)],
        [2, P, bitmap(MiB / lss, 4)],
        [3, Z],
        [7, F],
      ]),
    };
    buildVhdx(file, child);
    const src = await openVhdx(file);
    expect(src.logicalSectorSize).toBe(4096);
    expect(src.info.geometry.chunkRatio).toBe(32768);
    const expected = expectedContent([{ spec: child }, { spec: base }]);
    expect(Buffer.compare(await readAll(src, 3 * 4096 + 512), expected)).toBe(0);
    checkExtents([...src.extents()], expected);
    await src.close();
  });
});

describe('a 64 TiB sparse disk', () => {
  const size = 2 ** 46;
  const blockSize = 16 * MiB; // 4 Mi blocks: a 32 MiB BAT, paged by default
  const blockCount = size / blockSize;
  const last = blockCount - 1;
  const mid = blockCount / 2 + 3;
  const data = new Uint8Array(blockSize);
  data.set(pattern(MiB, 77), blockSize - MiB);
  const spec: VhdxSpec = {
    virtualSize: size,
    blockSize,
    blocks: new Map([
      [1, { state: Z }],
      [mid, { state: F, data }],
      [last, { state: F, data }],
    ]),
  };
  const img = buildVhdx(path.join(dir, 'huge.vhdx'), spec);

  for (const maxResidentBat of [undefined, 64 * MiB]) {
    it(`maps and reads in bounded memory (${maxResidentBat ? 'resident' : 'paged'} BAT)`, async () => {
      const rss0 = process.memoryUsage().rss;
      const src = await openVhdx(img.path, maxResidentBat ? { maxResidentBat } : {});
      expect(src.info.batResident).toBe(maxResidentBat !== undefined);
      expect([...src.extents()]).toEqual([
        { offset: 0, length: blockSize, kind: 'absent' },
        { offset: blockSize, length: blockSize, kind: 'zero' },
        { offset: 2 * blockSize, length: (mid - 2) * blockSize, kind: 'absent' },
        { offset: mid * blockSize, length: blockSize, kind: 'present' },
        { offset: (mid + 1) * blockSize, length: (last - mid - 1) * blockSize, kind: 'absent' },
        { offset: size - blockSize, length: blockSize, kind: 'present' },
      ]);
      const buf = new Uint8Array(MiB);
      for (const at of [size - MiB, (mid + 1) * blockSize - MiB]) {
        await src.read(buf, at);
        expect(Buffer.compare(buf, pattern(MiB, 77))).toBe(0);
      }
      await src.read(buf, 5 * blockSize);
      expect(buf.every((b) => b === 0)).toBe(true);
      expect(src.info.payloadStates.notPresent).toBe(blockCount - 3);
      await src.close();
      expect(process.memoryUsage().rss - rss0).toBeLessThan((maxResidentBat ? 120 : 60) * MiB);
    });
  }
});

describe.skipIf(!hasTool('qemu-img'))('builder images vs qemu', () => {
  it('qemu reads a codec-built dynamic image exactly as our reader does', async () => {
    const spec: VhdxSpec = {
      virtualSize: 10 * MiB,
      blockSize: MiB,
      seed: 21,
      blocks: blocks([
        [0, F],
        [3, F],
        [4, Z],
        [9, F],
      ]),
    };
    const img = buildVhdx(path.join(dir, 'q.vhdx'), spec);
    const fromQemu = qemuRaw(img.path, `${img.path}.raw`);
    const src = await openVhdx(img.path);
    const ours = await readAll(src);
    await src.close();
    expect(Buffer.compare(ours, fromQemu)).toBe(0);
    expect(Buffer.compare(ours, expectedContent([{ spec }]))).toBe(0);
  });
});
