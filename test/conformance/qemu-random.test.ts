/**
 * Seeded random VHDX images made at test time by qemu-img + qemu-io, read through openImage and
 * compared byte-for-byte with `qemu-img convert -O raw`. Allocation is checked against qemu's
 * documented behaviour (formats.md §1.11): a block any write touched is FULLY_PRESENT; every other
 * block is ZERO (block_state_zero=on), NOT_PRESENT (off, dynamic) or FULLY_PRESENT (real fixed).
 * Set DM_CONFORMANCE_SEED to explore other seeds; a failure names its seed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExtentKind } from '../../src/source/disk-source.js';
import { openImage } from '../../src/source/open-image.js';
import { hasTool } from '../helpers/tools.js';
import {
  cellDiffs,
  classify,
  extentContractProblems,
  firstDiff,
  MiB,
  prng,
  randBytes,
  randInt,
  readAll,
  run,
  scratchDir,
} from './helpers.js';

const CASES = 12;
const BASE_SEED = Number(process.env['DM_CONFORMANCE_SEED'] ?? 20261122);
const BLOCK_SIZES = [1, 2, 8, 32].map((n) => n * MiB);
const MAX_SIZE = 40 * MiB;

interface Recipe {
  seed: number;
  blockSize: number;
  virtualSize: number;
  subformat: 'dynamic' | 'fixed';
  blockStateZero: boolean;
  /** qemu-io write commands, and the byte range each touches. */
  writes: { cmd: string; offset: number; length: number }[];
  /** Pattern files (name → bytes) the writes refer to. */
  files: Map<string, Buffer>;
}

/** Case `i` cycles through the block sizes and makes every third image fixed; the rest is random. */
function recipe(i: number): Recipe {
  const seed = BASE_SEED + i;
  const rand = prng(seed);
  const blockSize = BLOCK_SIZES[i % BLOCK_SIZES.length] as number;
  const sectors = (() => {
    const shape = rand();
    // Fixed images cost their full size in tmp: keep them at the small end.
    const maxSize = i % 3 === 2 ? MAX_SIZE / 2 : MAX_SIZE;
    if (shape < 0.5) return randInt(rand, 1, maxSize / 512); // odd: usually not a block multiple
    const blocks = randInt(rand, 1, Math.max(1, Math.floor(maxSize / blockSize)));
    const exact = (blocks * blockSize) / 512;
    return shape < 0.75 ? exact : Math.max(1, exact + randInt(rand, -7, 7)); // block multiple, or just off it
  })();
  const virtualSize = sectors * 512;
  const subformat = i % 3 === 2 ? 'fixed' : 'dynamic';
  const blockStateZero = subformat === 'fixed' ? rand() < 0.3 : rand() < 0.6;
  const files = new Map<string, Buffer>();
  const writes: Recipe['writes'] = [];
  const n = randInt(rand, 3, 12);
  for (let i = 0; i < n; i++) {
    // Offsets: anywhere (byte-unaligned), sector-aligned, or straddling a block boundary.
    const where = rand();
    let offset: number;
    if (where < 0.35) offset = randInt(rand, 0, virtualSize - 1);
    else if (where < 0.7) offset = randInt(rand, 0, sectors - 1) * 512;
    else {
      const boundary = randInt(rand, 0, Math.ceil(virtualSize / blockSize)) * blockSize;
      offset = Math.min(virtualSize - 1, Math.max(0, boundary - randInt(rand, 1, 70_000)));
    }
    const maxLen = Math.min(virtualSize - offset, rand() < 0.2 ? 3 * MiB : 256 * 1024);
    const length = randInt(rand, 1, maxLen);
    const op = rand();
    let cmd: string;
    if (op < 0.5) cmd = `write -P 0x${randInt(rand, 1, 255).toString(16)} ${offset} ${length}`;
    else if (op < 0.8) {
      const name = `pat-${seed}-${i}.bin`;
      files.set(name, randBytes(rand, length));
      cmd = `write -s ${name} ${offset} ${length}`;
    } else cmd = `write -z ${offset} ${length}`;
    writes.push({ cmd, offset, length });
  }
  return { seed, blockSize, virtualSize, subformat, blockStateZero, writes, files };
}

function describeRecipe(r: Recipe): string {
  return `seed ${r.seed}: ${r.subformat}, ${r.blockSize / MiB} MiB blocks, ${r.virtualSize} bytes, block_state_zero=${r.blockStateZero ? 'on' : 'off'}, ${r.writes.length} writes`;
}

/** The extent kind qemu's BAT must give each block (see the file comment). */
function expectedAllocation(r: Recipe): { offset: number; length: number; kind: ExtentKind }[] {
  const blocks = Math.ceil(r.virtualSize / r.blockSize);
  const touched = new Set<number>();
  for (const w of r.writes) {
    for (
      let b = Math.floor(w.offset / r.blockSize);
      b <= Math.floor((w.offset + w.length - 1) / r.blockSize);
      b++
    )
      touched.add(b);
  }
  const untouched: ExtentKind = r.blockStateZero ? 'zero' : r.subformat === 'fixed' ? 'present' : 'absent';
  const out: { offset: number; length: number; kind: ExtentKind }[] = [];
  for (let b = 0; b < blocks; b++) {
    const offset = b * r.blockSize;
    out.push({
      offset,
      length: Math.min(r.blockSize, r.virtualSize - offset),
      kind: touched.has(b) ? 'present' : untouched,
    });
  }
  return out;
}

describe.skipIf(!hasTool('qemu-img') || !hasTool('qemu-io'))(
  'qemu-made random VHDX read through openImage',
  () => {
    const scratch = scratchDir('dm-conformance-qemu-random-');
    afterAll(() => scratch.remove());

    for (let i = 0; i < CASES; i++) {
      const r = recipe(i);
      it(describeRecipe(r), async () => {
        const dir = scratch.dir;
        const img = join(dir, `case-${r.seed}.vhdx`);
        const raw = join(dir, `case-${r.seed}.raw`);
        for (const [name, bytes] of r.files) writeFileSync(join(dir, name), bytes);
        const opts = [
          `subformat=${r.subformat}`,
          `block_size=${r.blockSize}`,
          `block_state_zero=${r.blockStateZero ? 'on' : 'off'}`,
        ];
        run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', opts.join(','), img, String(r.virtualSize)]);
        run('qemu-io', ['-f', 'vhdx', ...r.writes.flatMap((w) => ['-c', w.cmd]), img], dir);
        run('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', img, raw]);
        const want = readFileSync(raw);
        expect(want.length).toBe(r.virtualSize);

        const src = await openImage(img);
        try {
          expect(src.virtualSize).toBe(r.virtualSize);
          const ours = await readAll(src);
          expect(firstDiff(ours, want), 'first byte differing from qemu-img convert -O raw').toBe(-1);

          const extents = [...src.extents()];
          expect(extentContractProblems(extents, 0, r.virtualSize)).toEqual([]);
          // Sector grid: these images are at most 40 MiB (80 Ki cells).
          const oursCells = classify(extents, r.virtualSize, 512);
          expect(cellDiffs(oursCells, classify(expectedAllocation(r), r.virtualSize, 512), 512)).toEqual([]);
          // Whatever the map says, a sector holding a non-zero byte must be present.
          const lost: number[] = [];
          for (let c = 0; c < oursCells.length && lost.length < 4; c++) {
            if (oursCells[c] !== 'present' && want.subarray(c * 512, (c + 1) * 512).some((b) => b !== 0))
              lost.push(c * 512);
          }
          expect(lost, 'non-zero sectors outside present extents').toEqual([]);
        } finally {
          await src.close();
        }
      });
    }
  },
);
