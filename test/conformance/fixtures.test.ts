/**
 * Every committed qemu-made VHDX fixture (native-fixtures/vhdx) read through openImage must match
 * its golden facts: the bytes qemu-img convert -O raw produced, the BAT allocation qemu wrote, and
 * qemu-img map. Needs no qemu: runs everywhere.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiskSource, Extent } from '../../src/source/disk-source.js';
import { openImage } from '../../src/source/open-image.js';
import type { OpenedImage } from '../../src/source/open-image.js';
import { FIXTURE_DIR, loadGoldens, modelRead } from './golden.js';
import type { Golden } from './golden.js';
import {
  cellDiffs,
  classify,
  extentContractProblems,
  firstDiff,
  MiB,
  readAll,
  scratchDir,
  sourceSha256,
} from './helpers.js';

/** Allocation maps are compared on this grid: finer than any block, coarse enough for 4 GiB disks. */
const GRAIN = 64 * 1024;
/** Fixtures up to this size are also compared byte-for-byte against the write model in one piece. */
const WHOLE_COMPARE_MAX = 64 * MiB;

const goldens = loadGoldens();
const scratch = scratchDir('dm-conformance-fixtures-');
afterAll(() => scratch.remove());

describe('native-fixtures/vhdx', () => {
  it('holds the committed fixture set, each with its image', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(12);
    for (const g of goldens) expect(existsSync(join(FIXTURE_DIR, g.file)), g.file).toBe(true);
    // The matrix the fixtures promise (README): block sizes, both subformats, both zero-state kinds.
    const blockSizes = new Set(goldens.map((g) => g.blockSize / MiB));
    for (const bs of [1, 2, 8, 32]) expect(blockSizes.has(bs), `block size ${bs} MiB`).toBe(true);
    expect(goldens.some((g) => g.subformat === 'fixed')).toBe(true);
    expect(goldens.some((g) => g.virtualSize % g.blockSize !== 0)).toBe(true);
    expect(goldens.some((g) => g.allocation.some((a) => a.kind === 'absent'))).toBe(true);
  });
});

describe.each(goldens)('fixture $name', (g: Golden) => {
  let src: DiskSource;

  beforeAll(async () => {
    const path = join(scratch.dir, g.file.replace(/\.gz$/, ''));
    writeFileSync(path, gunzipSync(readFileSync(join(FIXTURE_DIR, g.file))));
    src = await openImage(path);
  });
  afterAll(async () => {
    await src?.close();
  });

  it.runIf(g.virtualSize <= WHOLE_COMPARE_MAX)('golden: its recorded writes reproduce the raw sha256', () => {
    // Validates the fixture itself (no reader involved), so the byte-model checks below are sound.
    const model = modelRead(g.writes, 0, g.virtualSize);
    expect(createHash('sha256').update(model).digest('hex')).toBe(g.rawSha256);
  });

  it('reports the geometry qemu wrote', () => {
    expect(src.format).toBe('vhdx');
    expect(src.virtualSize).toBe(g.virtualSize);
    expect(src.logicalSectorSize).toBe(g.logicalSectorSize);
  });

  it('inspect facts (info) agree with the BAT qemu wrote', () => {
    const info = (src as OpenedImage).info;
    expect(info, 'openImage gives VHDX info').toBeDefined();
    if (!info) return;
    const count = (state: number): number =>
      g.bat.filter((r) => r.state === state).reduce((n, r) => n + r.count, 0);
    expect(info.geometry.blockSize).toBe(g.blockSize);
    expect(info.geometry.chunkRatio).toBe(g.chunkRatio);
    expect(info.geometry.payloadBlocks).toBe(Math.ceil(g.virtualSize / g.blockSize));
    expect(info.payloadStates).toMatchObject({
      notPresent: count(0),
      zero: count(2),
      fullyPresent: count(6),
      undefined: 0,
      unmapped: 0,
      partiallyPresent: 0,
    });
    expect(info.bitmapStates.present).toBe(0);
    expect(info.parentChain).toEqual([]);
    expect(info.log, 'a cleanly closed qemu image has no log to replay').toBeUndefined();
    expect(info.warnings).toEqual([]);
  });

  it('reads back equal to qemu-img convert -O raw (sha256)', async () => {
    expect(await sourceSha256(src)).toBe(g.rawSha256);
  });

  it.runIf(g.virtualSize <= WHOLE_COMPARE_MAX)(
    'reads back byte-for-byte equal to its recorded writes',
    async () => {
      const ours = await readAll(src);
      const want = modelRead(g.writes, 0, g.virtualSize);
      expect(firstDiff(ours, want), 'first differing byte offset').toBe(-1);
    },
  );

  it('reads each written range (unaligned window, unaligned buffer offset) as written', async () => {
    // Windows around every write edge, plus the disk's last bytes: the partial-block and
    // block-straddling cases a reader's offset arithmetic gets wrong.
    const windows: [number, number][] = [[Math.max(0, g.virtualSize - 5000), 5000]];
    for (const w of g.writes) {
      for (const edge of [w.offset, w.offset + w.length]) {
        const lo = Math.max(0, edge - 4099);
        windows.push([lo, Math.min(g.virtualSize, edge + 4097) - lo]);
      }
    }
    for (const [off, len] of windows) {
      const buf = Buffer.alloc(len + 7, 0x5c);
      await src.read(buf, off, len, 3);
      const want = modelRead(g.writes, off, len);
      const at = firstDiff(buf.subarray(3, 3 + len), want);
      expect(at === -1 ? -1 : off + at, `window [${off}, ${off + len}): first bad virtual offset`).toBe(-1);
      // Bytes outside [bufOffset, bufOffset+length) are not touched.
      expect(
        buf.subarray(0, 3).every((b) => b === 0x5c) && buf.subarray(3 + len).every((b) => b === 0x5c),
      ).toBe(true);
    }
  });

  it('refuses a read past the virtual end with DM_ERR_SOURCE_RANGE', async () => {
    const buf = Buffer.alloc(1024);
    await expect(src.read(buf, g.virtualSize - 512, 1024)).rejects.toMatchObject({
      code: 'DM_ERR_SOURCE_RANGE',
    });
  });

  it('extents() keeps its contract: ascending, coalesced, covering the disk exactly', () => {
    const all = [...src.extents()];
    expect(extentContractProblems(all, 0, g.virtualSize)).toEqual([]);
    // A sub-range query is the full map clipped to the range.
    const lo = Math.floor(g.virtualSize / 3) - 12345;
    const len = Math.floor(g.virtualSize / 3);
    const sub = [...src.extents(lo, len)];
    expect(extentContractProblems(sub, lo, len)).toEqual([]);
    expect(sub).toEqual(clip(all, lo, len));
  });

  it('is present exactly where qemu left FULLY_PRESENT blocks (BAT)', () => {
    const present = (k: string): string => (k === 'present' ? 'present' : 'not present');
    const ours = classify(src.extents(), g.virtualSize, GRAIN).map(present);
    const want = classify(g.allocation, g.virtualSize, GRAIN).map(present);
    expect(ours.length).toBe(want.length);
    expect(cellDiffs(ours, want, GRAIN)).toEqual([]);
  });

  it('maps ZERO blocks to zero and NOT_PRESENT blocks to absent (BAT)', () => {
    const ours = classify(src.extents(), g.virtualSize, GRAIN);
    const want = classify(g.allocation, g.virtualSize, GRAIN);
    expect(cellDiffs(ours, want, GRAIN)).toEqual([]);
  });
  // No check against the golden `qemu-img map`: qemu 7.2's VHDX driver has no block status, so
  // its map is one data range for the whole disk and could never disagree. The BAT-derived
  // allocation above is the real check.
});

/** The extents of `all` restricted to [offset, offset+length). */
function clip(all: readonly Extent[], offset: number, length: number): Extent[] {
  const end = offset + length;
  return all
    .filter((e) => e.offset < end && e.offset + e.length > offset)
    .map((e) => {
      const lo = Math.max(e.offset, offset);
      return { offset: lo, length: Math.min(e.offset + e.length, end) - lo, kind: e.kind };
    });
}
