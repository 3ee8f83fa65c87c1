/**
 * Images our writer makes (convertImage → VHDX) must satisfy qemu: `qemu-img check` is clean,
 * `qemu-img info` reports our geometry, and `qemu-img compare` finds them identical to the source.
 * Sources are seeded random raw files (odd sizes, data, constant runs, zero runs, holes) and every
 * committed qemu fixture (through its golden model, so our reader is not involved).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { convertImage } from '../../src/source/convert.js';
import { hasTool } from '../helpers/tools.js';
import { FIXTURE_DIR, loadGoldens } from './golden.js';
import { MiB, prng, randBytes, randInt, run, scratchDir } from './helpers.js';
import { goldenSource, openRawFile } from './test-sources.js';

const CASES = 10;
const BASE_SEED = Number(process.env['DM_CONFORMANCE_SEED'] ?? 20261122) + 1000;
const BLOCK_SIZES = [1, 2, 8, 32].map((n) => n * MiB);
/** Room for everything before the first payload block (header section, log, BAT, metadata). */
const METADATA_SLACK = 8 * MiB;

interface RawCase {
  seed: number;
  blockSize: number;
  subformat: 'dynamic' | 'fixed';
  size: number;
}

function rawCase(i: number): RawCase {
  const seed = BASE_SEED + i;
  const rand = prng(seed);
  const blockSize = BLOCK_SIZES[i % BLOCK_SIZES.length] as number;
  const subformat = i % 2 === 0 ? 'dynamic' : 'fixed';
  const maxSectors = (subformat === 'fixed' ? 20 : 40) * 2048;
  const size =
    (rand() < 0.7 ? randInt(rand, 1, maxSectors) : 2048 * randInt(rand, 1, maxSectors / 2048)) * 512;
  return { seed, blockSize, subformat, size };
}

/** Random content: pieces of random bytes, constant runs, explicit zeros and untouched holes. */
async function writeRandomRaw(path: string, c: RawCase): Promise<Buffer> {
  const rand = prng(c.seed ^ 0x5eed);
  const data = Buffer.alloc(c.size);
  const pieces = randInt(rand, 2, 10);
  for (let p = 0; p < pieces; p++) {
    const offset = randInt(rand, 0, c.size - 1);
    const length = randInt(rand, 1, Math.min(c.size - offset, rand() < 0.2 ? 4 * MiB : 128 * 1024));
    const kind = rand();
    if (kind < 0.5) randBytes(rand, length).copy(data, offset);
    else if (kind < 0.8) data.fill(randInt(rand, 1, 255), offset, offset + length);
    else data.fill(0, offset, offset + length);
  }
  const fh = await open(path, 'w');
  try {
    await fh.truncate(c.size);
    // Only non-zero 64 KiB pieces are written, so the raw file itself stays sparse.
    for (let at = 0; at < c.size; at += 65536) {
      const piece = data.subarray(at, Math.min(c.size, at + 65536));
      if (piece.some((b) => b !== 0)) await fh.write(piece, 0, piece.length, at);
    }
  } finally {
    await fh.close();
  }
  return data;
}

/** The qemu verdicts every image we write must get. */
function expectQemuAccepts(
  vhdx: string,
  reference: string,
  refFormat: 'raw' | 'vhdx',
  size: number,
  blockSize: number,
): void {
  const check = spawnSync('qemu-img', ['check', '-f', 'vhdx', vhdx], { encoding: 'utf8' });
  expect(check.stdout + check.stderr).toContain('No errors were found');
  expect(check.status).toBe(0);
  const info = JSON.parse(run('qemu-img', ['info', '--output=json', '-f', 'vhdx', vhdx])) as Record<
    string,
    unknown
  >;
  expect(info['virtual-size']).toBe(size);
  expect(info['cluster-size']).toBe(blockSize);
  const cmp = spawnSync('qemu-img', ['compare', '-f', refFormat, '-F', 'vhdx', reference, vhdx], {
    encoding: 'utf8',
  });
  expect(cmp.stdout + cmp.stderr).toContain('Images are identical');
  expect(cmp.status).toBe(0);
}

function blocksHoldingData(data: Buffer, blockSize: number): number {
  let n = 0;
  for (let at = 0; at < data.length; at += blockSize) {
    if (data.subarray(at, at + blockSize).some((b) => b !== 0)) n++;
  }
  return n;
}

describe.skipIf(!hasTool('qemu-img'))('our VHDX writer, judged by qemu-img', () => {
  const scratch = scratchDir('dm-conformance-qemu-writer-');
  afterAll(() => scratch.remove());

  for (let i = 0; i < CASES; i++) {
    const c = rawCase(i);
    it(`random raw → ${c.subformat} VHDX, ${c.blockSize / MiB} MiB blocks, ${c.size} bytes (seed ${c.seed})`, async () => {
      const raw = join(scratch.dir, `raw-${c.seed}.raw`);
      const out = join(scratch.dir, `raw-${c.seed}.vhdx`);
      const data = await writeRandomRaw(raw, c);
      const src = await openRawFile(raw);
      try {
        await convertImage(src, out, { to: 'vhdx', blockSize: c.blockSize, subformat: c.subformat });
      } finally {
        await src.close();
      }
      expectQemuAccepts(out, raw, 'raw', c.size, c.blockSize);
      const fileSize = (await stat(out)).size;
      if (c.subformat === 'fixed') {
        // Every block is allocated in a fixed image.
        expect(fileSize).toBeGreaterThanOrEqual(c.size);
      } else {
        // Dynamic: all-zero blocks must not be allocated.
        expect(fileSize).toBeLessThanOrEqual(
          METADATA_SLACK + blocksHoldingData(data, c.blockSize) * c.blockSize,
        );
      }
    });
  }

  it('keeps non-zero data in the last, shorter-than-64-KiB piece of the disk', async () => {
    // A disk whose only data sits in its last 1536 bytes: the tail of the last present extent.
    const size = 5 * MiB + 1536;
    const raw = join(scratch.dir, 'tail.raw');
    const out = join(scratch.dir, 'tail.vhdx');
    const fh = await open(raw, 'w');
    await fh.truncate(size);
    await fh.write(Buffer.alloc(1536, 0xd4), 0, 1536, 5 * MiB);
    await fh.close();
    const src = await openRawFile(raw);
    try {
      await convertImage(src, out, { to: 'vhdx', blockSize: MiB, subformat: 'dynamic' });
    } finally {
      await src.close();
    }
    expectQemuAccepts(out, raw, 'raw', size, MiB);
  });

  for (const g of loadGoldens()) {
    it(`qemu fixture ${g.name} → our ${g.subformat} VHDX, ${g.blockSize / MiB} MiB blocks: identical to qemu's image`, async () => {
      const qemuImage = join(scratch.dir, `${g.name}.qemu.vhdx`);
      const out = join(scratch.dir, `${g.name}.ours.vhdx`);
      writeFileSync(qemuImage, gunzipSync(readFileSync(join(FIXTURE_DIR, g.file))));
      await convertImage(goldenSource(g), out, {
        to: 'vhdx',
        blockSize: g.blockSize,
        subformat: g.subformat,
      });
      expectQemuAccepts(out, qemuImage, 'vhdx', g.virtualSize, g.blockSize);
      if (g.virtualSize <= 64 * MiB) {
        // And against the golden itself, not only against qemu's image of it.
        const converted = join(scratch.dir, `${g.name}.ours.raw`);
        run('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', out, converted]);
        const sha = createHash('sha256').update(readFileSync(converted)).digest('hex');
        expect(sha, 'sha256 of qemu-img convert -O raw of our image').toBe(g.rawSha256);
      }
    });
  }
});
