/**
 * Restore and verify on worker threads (FrameRunPool) where the runs matter: a point whose frames
 * span several packs with several runs per pack, blobs that fill several blocks, a damaged frame in
 * the middle of a run, a VHDX target, and abort / pool shutdown leaving no threads behind.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRepository, openWriter } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import { RUN_BYTES } from '../../src/repository/read-plan.js';
import { openImage } from '../../src/source/open-image.js';
import { FrameRunPool } from '../../src/workers/frame-run-pool.js';
import { backupDisk } from './helpers/backup.js';
import { codeOf } from './helpers/code-of.js';
import { prng } from './helpers/disk.js';
import { copyRepo, flipBit } from './helpers/fixture-repo.js';
import { closeSharedPool, sharedPool } from './helpers/decode-modes.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

const MiB = 1024 * 1024;
const BLOCKS = 28;
/** Blocks 20–23 repeat block 3 (one blob fills five blocks); 24 and 25 are zero. */
function diskImage(): Buffer {
  const disk = prng(41, BLOCKS * MiB);
  for (let b = 20; b < 24; b++) disk.copy(disk, b * MiB, 3 * MiB, 4 * MiB);
  disk.fill(0, 24 * MiB, 26 * MiB);
  return disk;
}

const pool = sharedPool();
afterAll(async () => {
  await closeSharedPool();
  await cleanTempDirs();
});

describe.each([
  { name: 'plain', password: undefined, damagedCode: 'DM_ERR_REPO_CHECKSUM' },
  { name: 'encrypted', password: 'runs-pw', damagedCode: 'DM_ERR_CRYPTO_AUTH' },
])('worker runs ($name)', ({ password, damagedCode }) => {
  const disk = diskImage();
  let dir: string;
  let packs: string[];
  const open = (d = dir) => openRepository(join(d, 'repo'), password ? { password } : {});

  beforeAll(async () => {
    dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), {
      create: true,
      ...(password ? { password, scryptLogN: 10 } : {}),
    });
    // Stored raw ('none', random data): ten 1 MiB frames per pack, so each pack needs two runs.
    const w = await openWriter(repo, 'job', { packLimit: 10 * MiB });
    await backupDisk(
      (o) => w.beginPoint(o),
      disk,
      MiB,
      { vm: 'vm', disk: 0, type: 'full' },
      { level: 'none' },
    );
    await w.close();
    const packDir = join(dir, 'repo', 'files', 'job', 'packs');
    packs = (await readdir(packDir)).sort().map((n) => join(packDir, n));
  });

  it('restores a point spanning several packs of several runs each, bit-exact', async () => {
    expect(packs.length).toBeGreaterThanOrEqual(3);
    expect((await stat(packs[0]!)).size).toBeGreaterThan(RUN_BYTES);
    const repo = await open();
    const out = join(dir, 'out.raw');
    const res = await restorePoint(repo, { vm: 'vm', out, pool });
    expect((await readFile(out)).equals(disk)).toBe(true);
    // Zero blocks are holes; the duplicated blob is written to all five of its blocks.
    expect(res.bytesWritten).toBe((BLOCKS - 2) * MiB);
  });

  it('verifies with the same report as the main thread', async () => {
    const repo = await open();
    const onWorkers = await verifyRepository(repo, { pool });
    expect(onWorkers.problems).toEqual([]);
    expect(onWorkers).toEqual(await verifyRepository(repo, { threads: 0 }));
    expect(onWorkers.frames).toBe(BLOCKS - 2 - 4);
  });

  it('restores to VHDX on workers, bit-exact', async () => {
    const out = join(dir, 'out.vhdx');
    await restorePoint(await open(), { vm: 'vm', out, pool });
    const img = await openImage(out);
    const back = Buffer.alloc(img.virtualSize);
    await img.read(back, 0, back.length);
    await img.close();
    expect(back.equals(disk)).toBe(true);
  });

  it('fails on a damaged frame in the middle of a run, with its code and no output', async () => {
    const copy = await tempDir();
    await copyRepo(join(dir, 'repo'), join(copy, 'repo'));
    const frame = 72 + MiB;
    const pack = join(copy, 'repo', 'files', 'job', 'packs', packs[1]!.split('/').at(-1)!);
    await flipBit(pack, 80 + 4 * frame + 72 + 1000, 5); // payload of the 5th frame of the 2nd pack
    const repo = await open(copy);
    const outDir = await tempDir();
    for (const decode of [{ pool }, { threads: 0 }]) {
      expect(await codeOf(restorePoint(repo, { vm: 'vm', out: join(outDir, 'o.raw'), ...decode }))).toBe(
        damagedCode,
      );
      expect(await readdir(outDir)).toEqual([]); // neither the output nor its temp file
    }
    const onWorkers = await verifyRepository(repo, { pool });
    expect(onWorkers.problems.map((p) => p.code)).toEqual([
      damagedCode === 'DM_ERR_CRYPTO_AUTH' ? damagedCode : 'DM_ERR_REPO_CHECKSUM',
    ]);
    expect(onWorkers).toEqual(await verifyRepository(repo, { threads: 0 }));
  });

  it('reports a damaged frame header the same way on both paths', async () => {
    const copy = await tempDir();
    await copyRepo(join(dir, 'repo'), join(copy, 'repo'));
    const pack = join(copy, 'repo', 'files', 'job', 'packs', packs[0]!.split('/').at(-1)!);
    await flipBit(pack, 80 + 2 * (72 + MiB) + 12, 1); // stored length of the 3rd frame
    const repo = await open(copy);
    const onWorkers = await verifyRepository(repo, { pool });
    expect(onWorkers.ok).toBe(false);
    expect(onWorkers.damagedPoints).toHaveLength(1);
    expect(onWorkers).toEqual(await verifyRepository(repo, { threads: 0 }));
  });
});

describe('abort and shutdown', () => {
  it('an aborted restore or verify fails with DM_ERR_ABORTED, writes nothing and stops its threads', async () => {
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true });
    const w = await openWriter(repo, 'job');
    await backupDisk((o) => w.beginPoint(o), prng(5, 4 * MiB), MiB, { vm: 'vm', disk: 0, type: 'full' });
    await w.close();
    const closes = vi.spyOn(FrameRunPool.prototype, 'close');
    const ac = new AbortController();
    ac.abort();
    const outDir = await tempDir();
    const out = join(outDir, 'o.raw');
    for (const threads of [2, 0]) {
      expect(await codeOf(restorePoint(repo, { vm: 'vm', out, threads, signal: ac.signal }))).toBe(
        'DM_ERR_ABORTED',
      );
      expect(await readdir(outDir)).toEqual([]);
      expect(await codeOf(verifyRepository(repo, { threads, signal: ac.signal }))).toBe('DM_ERR_ABORTED');
    }
    // Each owned pool (one per operation with threads: 2) was closed and has no thread left.
    expect(closes).toHaveBeenCalledTimes(2);
    for (const p of closes.mock.contexts as FrameRunPool[]) expect(p.liveThreads).toBe(0);
    closes.mockRestore();
  });

  it('a closed pool refuses new runs instead of hanging', async () => {
    const p = new FrameRunPool({ threads: 1 });
    await p.close();
    expect(p.liveThreads).toBe(0);
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true });
    const w = await openWriter(repo, 'job');
    await backupDisk((o) => w.beginPoint(o), prng(6, 2 * MiB), MiB, { vm: 'vm', disk: 0, type: 'full' });
    await w.close();
    expect(await codeOf(restorePoint(repo, { vm: 'vm', out: join(dir, 'o.raw'), pool: p }))).toBe(
      'DM_ERR_INTERNAL',
    );
  });
});
