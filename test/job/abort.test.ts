/**
 * An abort mid-backup leaves no point behind, keeps earlier points restorable and verifiable, and
 * the next backup succeeds (design.md §6).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/job/backup.js';
import { points } from '../../src/job/points.js';
import { restore } from '../../src/job/restore.js';
import { verify } from '../../src/job/verify.js';
import { buildDisk, sameBytes, tempDir, writeImage } from './disk-helpers.js';

const KiB = 1024;
let t: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  t = await tempDir('dm-abort-');
});
afterAll(() => t.cleanup());

describe('abort', () => {
  it('mid-backup leaves no point and earlier points intact', async () => {
    const bs = 256 * KiB;
    const repo = join(t.dir, 'repo');
    const firstDisk = buildDisk([{ kind: 'text', length: 8 * bs, seed: 1 }], 8 * bs, bs);
    const firstImage = join(t.dir, 'vm.img');
    await writeImage(firstImage, firstDisk, 'raw');
    const first = await backup({ repo, disk: firstImage, blockSize: bs, threads: 0 });

    const bigDisk = buildDisk([{ kind: 'random', length: 64 * bs, seed: 2 }], 64 * bs, bs);
    const bigImage = join(t.dir, 'vm-big.img');
    await writeImage(bigImage, bigDisk, 'raw');
    const controller = new AbortController();
    let abortedAt = -1;
    const failed = backup({
      repo,
      disk: bigImage,
      vm: 'vm',
      blockSize: bs,
      threads: 0,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'read' && e.doneBytes > 0 && abortedAt < 0) {
          abortedAt = e.doneBytes;
          controller.abort();
        }
      },
    });
    await expect(failed).rejects.toMatchObject({ code: 'DM_ERR_ABORTED' });
    expect(abortedAt).toBeGreaterThan(0);
    expect(abortedAt).toBeLessThan(64 * bs);

    const listed = await points({ repo });
    expect(listed.points.map((p) => p.id)).toEqual([first.points[0]!.id]);
    // The aborted session's packs are gone; only the first point's remain.
    const packs = await readdir(join(repo, 'files', 'backup', 'packs'));
    expect(packs.length).toBe(1);
    const out = join(t.dir, 'first.raw');
    await restore({ repo, vm: 'vm', out });
    expect(await sameBytes(out, firstDisk)).toBe(true);
    expect((await verify({ repo })).ok).toBe(true);

    const again = await backup({ repo, disk: bigImage, vm: 'vm', blockSize: bs, threads: 0 });
    expect(again.points[0]!.type).toBe('incremental');
    await restore({ repo, vm: 'vm', out: join(t.dir, 'big.raw') });
    expect(await sameBytes(join(t.dir, 'big.raw'), bigDisk)).toBe(true);
  });

  it('an already-aborted signal does nothing', async () => {
    const repo = join(t.dir, 'repo-pre');
    const controller = new AbortController();
    controller.abort();
    await expect(
      backup({ repo, disk: join(t.dir, 'vm.img'), threads: 0, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'DM_ERR_ABORTED' });
    await expect(points({ repo })).rejects.toMatchObject({ code: 'DM_ERR_REPO_NOT_FOUND' });
  });
});
