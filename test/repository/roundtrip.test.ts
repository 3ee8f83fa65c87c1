/**
 * Round trips through the repository API with blocks sealed by the workers (sealBlock): every
 * compression level × encryption on/off × per-VM files on/off, block sizes 256 KiB-8 MiB, disks
 * with zero blocks, duplicates, compressible and incompressible data and an odd last block; a
 * full and an incremental point per disk, each restored bit-exact.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPRESSION_LEVELS } from '../../src/core/blob.js';
import type { CompressionLevel } from '../../src/core/blob.js';
import { openImage } from '../../src/source/open-image.js';
import { backupFileFor, listPoints, openRepository, openWriter } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import type { Repository } from '../../src/repository/index.js';
import type { DecodeOptions } from '../../src/pipeline/parallel-open.js';
import { backupDisk } from './helpers/backup.js';
import { codeOf } from './helpers/code-of.js';
import { DECODE_MODES, closeSharedPool } from './helpers/decode-modes.js';
import { makeDisk } from './helpers/disk.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(async () => {
  await closeSharedPool();
  await cleanTempDirs();
});

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK_SIZES = [256 * KiB, 512 * KiB, 1 * MiB, 4 * MiB, 8 * MiB];

/** Fewer blocks for bigger blocks: the disks stay a few MiB. */
function diskFor(seed: number, blockSize: number): Buffer {
  const blocks = Math.max(2, Math.min(12, Math.floor((6 * MiB) / blockSize)));
  return makeDisk(seed, blockSize, blocks, 12 * 512);
}

/** Changes a few blocks: one rewritten, one zeroed, one made a duplicate of block 0. */
function mutate(disk: Buffer, blockSize: number): { next: Buffer; changed: number[] } {
  const next = Buffer.from(disk);
  const n = Math.ceil(disk.length / blockSize);
  next.fill(0x5a, blockSize, blockSize + 100);
  const changed = [1];
  if (n > 2) {
    next.fill(0, 2 * blockSize, Math.min(next.length, 3 * blockSize));
    changed.push(2);
  }
  if (n > 3) {
    next.copy(next, 3 * blockSize, 0, blockSize);
    changed.push(3);
  }
  return { next, changed };
}

function uniqueBlocks(disk: Buffer, blockSize: number): Set<string> {
  const out = new Set<string>();
  for (let at = 0; at < disk.length; at += blockSize) {
    const block = disk.subarray(at, at + blockSize);
    if (block.some((x) => x !== 0)) out.add(createHash('sha256').update(block).digest('hex'));
  }
  return out;
}

async function restoreBytes(
  repo: Repository,
  vm: string,
  point: string,
  out: string,
  decode: DecodeOptions,
): Promise<Buffer> {
  await restorePoint(repo, { vm, disk: 0, point, out, ...decode });
  return readFile(out);
}

async function scenario(
  level: CompressionLevel,
  encrypted: boolean,
  perVm: boolean,
  blockSize: number,
  decode: DecodeOptions,
) {
  const dir = await tempDir();
  const repo = await openRepository(join(dir, 'repo'), {
    create: true,
    ...(encrypted ? { password: 'correct horse', scryptLogN: 10 } : {}),
  });
  const vms = ['vmA', 'vmB'];
  // vmB's disk shares its first blocks with vmA's: dedup across VMs only within one backup file.
  const disks = new Map(vms.map((vm, i) => [vm, diskFor(i === 0 ? 11 : 12, blockSize)]));
  diskFor(11, blockSize).copy(disks.get('vmB')!, 0, 0, 2 * blockSize);
  const fileOf = (vm: string) => (perVm ? backupFileFor('job1', vm) : backupFileFor('job1'));
  const writers = new Map<string, Awaited<ReturnType<typeof openWriter>>>();
  for (const vm of vms)
    if (!writers.has(fileOf(vm))) writers.set(fileOf(vm), await openWriter(repo, fileOf(vm)));
  // Both VMs' points are written at once (interleaved puts on a shared writer when per-job).
  const fulls = await Promise.all(
    vms.map((vm) =>
      backupDisk(
        (o) => writers.get(fileOf(vm))!.beginPoint(o),
        disks.get(vm)!,
        blockSize,
        { vm, disk: 0, type: 'full' },
        { level },
      ),
    ),
  );
  const incs = [];
  const nexts = new Map<string, Buffer>();
  for (const vm of vms) {
    const { next, changed } = mutate(disks.get(vm)!, blockSize);
    nexts.set(vm, next);
    incs.push(
      await backupDisk(
        (o) => writers.get(fileOf(vm))!.beginPoint(o),
        next,
        blockSize,
        { vm, disk: 0, type: 'incremental', changeId: `rct-${vm}-2` },
        { level, blocks: changed },
      ),
    );
  }
  for (const w of writers.values()) await w.close();

  const listed = await listPoints(repo);
  expect(listed).toHaveLength(4);
  expect(
    listed
      .filter((p) => p.type === 'incremental')
      .map((p) => p.parent)
      .sort(),
  ).toEqual(fulls.map((f) => f.id).sort());
  for (const [i, vm] of vms.entries()) {
    // Buffer.equals, not toEqual: deep equality over megabytes is far too slow.
    expect(
      (await restoreBytes(repo, vm, fulls[i]!.id, join(dir, `${vm}-full.raw`), decode)).equals(
        disks.get(vm)!,
      ),
    ).toBe(true);
    expect(
      (await restoreBytes(repo, vm, 'latest', join(dir, `${vm}-inc.raw`), decode)).equals(nexts.get(vm)!),
    ).toBe(true);
  }
  // Each distinct non-zero block is stored once per backup file (the dedup scope).
  const [a, b] = fulls;
  const [ua, ub] = vms.map((vm) => uniqueBlocks(disks.get(vm)!, blockSize));
  if (perVm) expect([a!.stats.newBlobs, b!.stats.newBlobs]).toEqual([ua!.size, ub!.size]);
  else expect(a!.stats.newBlobs + b!.stats.newBlobs).toBe(new Set([...ua!, ...ub!]).size);
  // An incremental stores only what changed.
  for (const inc of incs) expect(inc.stats.newBlobs).toBeLessThanOrEqual(1);
  const report = await verifyRepository(repo, decode);
  expect(report.problems).toEqual([]);
  expect(report.points).toBe(4);
}

describe('repository round trip', () => {
  // Each case runs in one decode mode, alternating, so both modes see every level and setting.
  const cases = COMPRESSION_LEVELS.flatMap((level, li) =>
    [false, true].flatMap((encrypted, ei) =>
      [false, true].map((perVm, pi) => ({
        level,
        encrypted,
        perVm,
        blockSize: BLOCK_SIZES[(li + ei * 2 + pi) % BLOCK_SIZES.length]!,
        ...DECODE_MODES[(li + ei + pi) % 2]!,
      })),
    ),
  );

  it.each(cases)('$level encrypted=$encrypted perVm=$perVm block=$blockSize ($mode)', async (c) => {
    await scenario(c.level, c.encrypted, c.perVm, c.blockSize, c.decode());
  });

  it.each(BLOCK_SIZES.flatMap((bs) => DECODE_MODES.map((m) => ({ bs, ...m }))))(
    'every block size with encryption: $bs ($mode)',
    async ({ bs, decode }) => {
      await scenario('optimal', true, false, bs, decode());
    },
  );

  it.each(DECODE_MODES)('restores to VHDX bit-exact, and skipped blocks read as zeros ($mode)', async (m) => {
    const decode = m.decode();
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true });
    const bs = 256 * KiB;
    const disk = makeDisk(5, bs, 8, 0);
    const w = await openWriter(repo, 'job');
    await backupDisk(
      (o) => w.beginPoint(o),
      disk,
      bs,
      { vm: 'v', disk: 1, type: 'full' },
      { skipped: new Set([3]) },
    );
    await w.close();
    const expected = Buffer.from(disk).fill(0, 3 * bs, 4 * bs);
    const out = join(dir, 'out.vhdx');
    const res = await restorePoint(repo, { vm: 'v', disk: 1, out, ...decode });
    expect(res.format).toBe('vhdx');
    const img = await openImage(out);
    const back = Buffer.alloc(img.virtualSize);
    await img.read(back, 0, back.length);
    await img.close();
    expect(back.equals(expected)).toBe(true);
    expect(await restoreBytes(repo, 'v', 'latest', join(dir, 'x.raw'), decode).catch((e) => e.code)).toBe(
      'DM_ERR_REPO_POINT_NOT_FOUND',
    );
    await restorePoint(repo, { vm: 'v', disk: 1, out: join(dir, 'out.raw'), ...decode });
    expect((await readFile(join(dir, 'out.raw'))).equals(expected)).toBe(true);
  });
});

describe('restore by point id', () => {
  it('finds the point in its own backup file and refuses ids of other disks, VMs or bad shape', async () => {
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true });
    const bs = 256 * KiB;
    const disks = [makeDisk(11, bs, 4, 0), makeDisk(12, bs, 4, 0)];
    const infos = [];
    for (const [i, vm] of ['a', 'b'].entries()) {
      const w = await openWriter(repo, backupFileFor('job', vm));
      infos.push(await backupDisk((o) => w.beginPoint(o), disks[i]!, bs, { vm, disk: 0, type: 'full' }));
      await w.close();
    }
    const out = join(dir, 'b.raw');
    const res = await restorePoint(repo, { vm: 'b', point: infos[1]!.id, out });
    expect(res.point.id).toBe(infos[1]!.id);
    expect((await readFile(out)).equals(disks[1]!)).toBe(true);
    const miss = (vm: string, point: string, disk = 0) =>
      codeOf(restorePoint(repo, { vm, disk, point, out: join(dir, 'miss.raw') }));
    expect(await miss('a', infos[1]!.id)).toBe('DM_ERR_REPO_POINT_NOT_FOUND'); // b's point asked for as a's
    expect(await miss('b', infos[1]!.id, 1)).toBe('DM_ERR_REPO_POINT_NOT_FOUND');
    expect(await miss('a', '../../config')).toBe('DM_ERR_REPO_POINT_NOT_FOUND');
    expect(await miss('a', '0123456789abcdef')).toBe('DM_ERR_REPO_POINT_NOT_FOUND');
  });
});
