/**
 * Property tests: our writer → our reader. Random sector-aligned write patterns over random block
 * sizes, sector sizes and differencing depths 0–4; the expected disk is computed in memory. Read
 * back through openImage on the top child it must equal the expectation exactly, and every non-zero
 * byte must lie in a `present` extent.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { DiskSource } from '../../src/source/disk-source.js';
import { openImage } from '../../src/source/open-image.js';
import { createVhdx } from '../../src/source/vhdx/writer/vhdx-writer.js';
import { MiB, patternBytes, scratchDir } from './vhdx-writer-helpers.js';

const scratch = scratchDir('vhdx-roundtrip');
afterAll(() => scratch.cleanup());
let caseNo = 0;

interface LevelWrite {
  /** In sectors, reduced modulo the disk size. */
  readonly start: number;
  readonly sectors: number;
  readonly zero: boolean;
  readonly seed: number;
}

interface Scenario {
  readonly logicalSectorSize: 512 | 4096;
  readonly blockMiB: 1 | 2 | 4;
  /** Virtual size in sectors. */
  readonly sectors: number;
  readonly levels: readonly (readonly LevelWrite[])[];
  readonly concurrent: boolean;
  /** The base (level 0) is a fixed VHDX rather than a dynamic one. */
  readonly baseFixed: boolean;
}

const writeArb = fc.record({
  start: fc.nat({ max: 1 << 20 }),
  // Mostly small, sometimes spanning blocks: up to 3 MiB of 512-byte sectors.
  sectors: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 6144 })),
  zero: fc.boolean(),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    logicalSectorSize: fc.constantFrom(512 as const, 4096 as const),
    blockMiB: fc.constantFrom(1 as const, 2 as const, 4 as const),
    blocks: fc.double({ min: 0.01, max: 3.5, noNaN: true }),
    levels: fc.array(fc.array(writeArb, { minLength: 0, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
    concurrent: fc.boolean(),
    baseFixed: fc.boolean(),
  })
  .map(({ logicalSectorSize, blockMiB, blocks, levels, concurrent, baseFixed }) => ({
    logicalSectorSize,
    blockMiB,
    sectors: Math.max(1, Math.floor((blocks * blockMiB * MiB) / logicalSectorSize)),
    levels,
    concurrent,
    baseFixed,
  }));

/** Clips a write to the disk; returns [byteOffset, byteLength]. 4096-byte sectors scale counts by 1/8. */
function placed(w: LevelWrite, s: Scenario): [number, number] {
  const ss = s.logicalSectorSize;
  const start = w.start % s.sectors;
  const sectors = Math.min(Math.ceil(w.sectors / (ss / 512)), s.sectors - start);
  return [start * ss, sectors * ss];
}

async function writeChain(s: Scenario, dir: string): Promise<{ top: string; expected: Uint8Array }> {
  const size = s.sectors * s.logicalSectorSize;
  const expected = new Uint8Array(size);
  let parent: string | undefined;
  for (const [level, writes] of s.levels.entries()) {
    const file = path.join(dir, `level${level}.vhdx`);
    const w = await createVhdx(file, {
      blockSize: s.blockMiB * MiB,
      logicalSectorSize: s.logicalSectorSize,
      ...(parent
        ? { parent: { path: parent } }
        : { virtualSize: size, subformat: s.baseFixed ? 'fixed' : 'dynamic' }),
    });
    const pending: Promise<void>[] = [];
    const touched: [number, number][] = [];
    for (const lw of writes) {
      const [offset, length] = placed(lw, s);
      const data = lw.zero ? new Uint8Array(length) : patternBytes(lw.seed, offset, length);
      expected.set(data, offset);
      // Concurrent writes only when they do not overlap (overlapping in-flight writes are unordered).
      const overlaps = touched.some(([o, l]) => offset < o + l && o < offset + length);
      if (s.concurrent && !overlaps) pending.push(w.write(data, offset));
      else {
        await Promise.all(pending.splice(0));
        touched.length = 0;
        await w.write(data, offset);
      }
      touched.push([offset, length]);
    }
    await Promise.all(pending);
    await w.close();
    parent = file;
  }
  return { top: parent!, expected };
}

async function checkSource(src: DiskSource, expected: Uint8Array): Promise<void> {
  expect(src.virtualSize).toBe(expected.length);
  const got = new Uint8Array(expected.length);
  await src.read(got, 0, got.length, 0);
  expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
  let covered = 0;
  for (const e of src.extents()) {
    expect(e.offset).toBe(covered);
    covered += e.length;
    if (e.kind !== 'present') {
      const slice = expected.subarray(e.offset, e.offset + e.length);
      expect(slice.every((b) => b === 0)).toBe(true);
    }
  }
  expect(covered).toBe(expected.length);
}

describe('VHDX writer → reader round trip (property)', () => {
  it('reads back exactly what was written, through chains of depth 0–4', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const dir = path.join(scratch.dir, `case${caseNo++}`);
        await mkdir(dir);
        const { top, expected } = await writeChain(s, dir);
        const src = await openImage(top);
        try {
          await checkSource(src, expected);
        } finally {
          await src.close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('differencing child over two sector-bitmap chunks (4 GiB + 2 MiB virtual, sparse)', async () => {
    const size = 4 * 1024 * MiB + 2 * MiB;
    const base = path.join(scratch.dir, 'big-base.vhdx');
    const child = path.join(scratch.dir, 'big-child.vhdx');
    const b = await createVhdx(base, { virtualSize: size, blockSize: MiB });
    const baseData = patternBytes(7, size - MiB, MiB);
    await b.write(baseData, size - MiB);
    await b.close();
    const c = await createVhdx(child, { parent: { path: base }, blockSize: MiB });
    const a = patternBytes(8, 4096, 1024);
    const z = patternBytes(9, size - MiB + 512, 512);
    await c.write(a, 4096); // chunk 0, partial
    await c.write(z, size - MiB + 512); // chunk 1, partial over the parent's data
    await c.close();
    const src = await openImage(child);
    try {
      const tail = new Uint8Array(MiB);
      await src.read(tail, size - MiB, MiB, 0);
      const want = new Uint8Array(baseData);
      want.set(z, 512);
      expect(Buffer.from(tail).equals(Buffer.from(want))).toBe(true);
      const head = new Uint8Array(8192);
      await src.read(head, 0, 8192, 0);
      expect(Buffer.from(head.subarray(4096, 5120)).equals(Buffer.from(a))).toBe(true);
      expect(head.subarray(0, 4096).every((x) => x === 0)).toBe(true);
      const kinds = [...src.extents()].filter((e) => e.kind === 'present').map((e) => [e.offset, e.length]);
      expect(kinds).toEqual([
        [4096, 1024],
        [size - MiB, MiB],
      ]);
    } finally {
      await src.close();
    }
  });
});
