/**
 * Backup → restore is bit-exact for every compression level × block size × encryption × per-VM
 * setting, over random disks (zero runs, duplicate blocks, incompressible and compressible regions,
 * odd sizes), through the library API. Disks stay a few blocks long so the suite stays fast.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPRESSION_LEVELS } from '../../src/core/blob.js';
import { backup } from '../../src/job/backup.js';
import { restore } from '../../src/job/restore.js';
import { verify } from '../../src/job/verify.js';
import { BLOCK_SIZES } from '../../src/plan/block-grid.js';
import { buildDisk, sameBytes, segmentsArb, tempDir, writeImage } from './disk-helpers.js';

const KDF = 10; // cheapest scrypt the repository accepts: tests are about data, not key stretching
let t: { dir: string; cleanup: () => Promise<void> };
let n = 0;
beforeAll(async () => {
  t = await tempDir('dm-rt-');
});
afterAll(() => t.cleanup());

const combos = COMPRESSION_LEVELS.flatMap((level) =>
  BLOCK_SIZES.flatMap((blockSize) =>
    [false, true].flatMap((encrypted) =>
      [false, true].map((perVm) => ({ level, blockSize, encrypted, perVm })),
    ),
  ),
);

describe('backup → restore round trip', () => {
  it.each(combos)(
    '$level, block $blockSize, encrypted $encrypted, per-VM $perVm',
    async ({ level, blockSize, encrypted, perVm }) => {
      await fc.assert(
        fc.asyncProperty(
          segmentsArb(blockSize * 2),
          fc.integer({ min: 1, max: 3 * blockSize }),
          fc.constantFrom<'raw' | 'vhdx'>('raw', 'vhdx'),
          async (segments, extra, format) => {
            // VHDX needs whole sectors; raw images get odd sizes.
            const size = format === 'vhdx' ? Math.ceil(extra / 512) * 512 + blockSize : extra + blockSize;
            const disk = buildDisk(segments, size, blockSize);
            const dir = join(t.dir, `c${n++}`);
            const image = join(dir + '-vm.' + (format === 'vhdx' ? 'vhdx' : 'img'));
            await writeImage(image, disk, format);
            const repo = join(dir, 'repo');
            const common = {
              repo,
              disk: image,
              vm: 'vm',
              compression: level,
              blockSize,
              perVm,
              threads: 0,
              kdfCost: KDF,
              ...(encrypted ? { password: 'pw' } : {}),
            };
            const first = await backup(common);
            // A second backup of the same disk: everything deduplicates against the first.
            const second = await backup(common);
            expect(second.points[0]!.type).toBe('incremental');
            expect(second.stats.transferredBytes).toBe(0);
            expect(first.points[0]!.backupFile).toBe(perVm ? 'backup.vm' : 'backup');
            for (const point of [first.points[0]!.id, second.points[0]!.id]) {
              const out = join(dir, `${point}.raw`);
              await restore({ repo, vm: 'vm', point, out, ...(encrypted ? { password: 'pw' } : {}) });
              expect(await sameBytes(out, disk)).toBe(true);
            }
          },
        ),
        { numRuns: 1 },
      );
    },
  );

  it('round-trips through worker threads and a VHDX restore target, and verifies', async () => {
    const blockSize = 256 * 1024;
    const disk = buildDisk(
      [
        { kind: 'random', length: 5 * blockSize, seed: 1 },
        { kind: 'repeat', length: 1, seed: 3 },
        { kind: 'zero', length: 2 * blockSize, seed: 0 },
        { kind: 'text', length: 20 * blockSize, seed: 4 },
      ],
      30 * blockSize,
      blockSize,
    );
    const image = join(t.dir, 'threads.vhdx');
    await writeImage(image, disk, 'vhdx');
    const repo = join(t.dir, 'threads-repo');
    const r = await backup({ repo, disk: image, blockSize, threads: 2, password: 'pw', kdfCost: KDF });
    expect(r.stats.blocks.stored + r.stats.blocks.duplicate + r.stats.blocks.zero).toBe(30);
    const out = join(t.dir, 'threads-out.vhdx');
    const rr = await restore({ repo, vm: 'threads', out, password: 'pw' });
    expect(rr.format).toBe('vhdx');
    const back = join(t.dir, 'threads-back.raw');
    // Read the restored VHDX back through a second backup/restore cycle as raw.
    await backup({ repo: join(t.dir, 'repo2'), disk: out, vm: 'again', threads: 0 });
    await restore({ repo: join(t.dir, 'repo2'), vm: 'again', out: back });
    expect(await sameBytes(back, disk)).toBe(true);
    expect((await verify({ repo, password: 'pw' })).ok).toBe(true);
  });
  it('an encrypted incremental on worker threads stores only the changed block; both points restore', async () => {
    const blockSize = 256 * 1024;
    const a = buildDisk(
      [
        { kind: 'random', length: 8 * blockSize, seed: 21 },
        { kind: 'text', length: 8 * blockSize, seed: 22 },
      ],
      16 * blockSize,
      blockSize,
    );
    const b = a.slice();
    b.set(buildDisk([{ kind: 'random', length: blockSize, seed: 23 }], blockSize, blockSize), 5 * blockSize);
    const imageA = join(t.dir, 'inc-a.vhdx');
    const imageB = join(t.dir, 'inc-b.vhdx');
    await writeImage(imageA, a, 'vhdx');
    await writeImage(imageB, b, 'vhdx');
    const repo = join(t.dir, 'inc-repo');
    const common = { repo, vm: 'inc', blockSize, threads: 2, password: 'pw', kdfCost: KDF };
    const first = await backup({ ...common, disk: imageA });
    const second = await backup({ ...common, disk: imageB });
    expect(second.points[0]!.type).toBe('incremental');
    expect(second.stats.blocks.stored).toBe(1); // the one changed block
    expect(second.stats.blocks.duplicate).toBe(15);
    for (const [point, want] of [
      [first.points[0]!.id, a],
      [second.points[0]!.id, b],
    ] as const) {
      const out = join(t.dir, `inc-${point}.raw`);
      await restore({ repo, vm: 'inc', point, out, password: 'pw' });
      expect(await sameBytes(out, want)).toBe(true);
    }
    expect((await verify({ repo, password: 'pw' })).ok).toBe(true);
  });
});
