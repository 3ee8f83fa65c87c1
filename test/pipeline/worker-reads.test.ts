/**
 * Compute threads reading their own blocks (tuning.readIn 'workers'), on the real backup path: the
 * pipeline wired as job/backup.ts wires it (repository writer, pool engine) over a raw image, a
 * dynamic VHDX and a differencing child with partly written blocks, for every hash placement that
 * maps reads, on both compute engines (worker threads, the addon's native threads). Points restore
 * bit-exact and the counters match readIn 'main'. A raw source that shrinks after open fails the
 * library backup in the compute thread, and earlier points still verify.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, points, restore, verify } from '../../src/index.js';
import type { ProcessorCounters } from '../../src/pipeline/block-target.js';
import type { HashPlacement } from '../../src/pipeline/hash-placement.js';
import { engineOn } from '../../src/pipeline/create-engine.js';
import { runPipeline, type PipelineTuning } from '../../src/pipeline/run-pipeline.js';
import type { SealEngine } from '../../src/pipeline/seal-engine.js';
import { blockGrid } from '../../src/plan/block-grid.js';
import { skipRangesFilter } from '../../src/plan/filters.js';
import { planBlocks } from '../../src/plan/planner.js';
import type { ByteRange } from '../../src/plan/ranges.js';
import { openRepository } from '../../src/repository/open.js';
import { beginPoint } from '../../src/repository/writer.js';
import { openImage } from '../../src/source/open-image.js';
import { createVhdx } from '../../src/source/vhdx/writer/vhdx-writer.js';
import { blockIdentity } from '../../src/compute/identity.js';
import { NativeBlockPool, nativeFits } from '../../src/workers/native-pool.js';
import { BlockPool, type BlockCompute } from '../../src/workers/pool.js';
import { isAllZero } from '../../src/compute/zero.js';
import { tempDir } from '../job/disk-helpers.js';
import { prng } from '../repository/helpers/disk.js';

const BS = 256 * 1024;
const MiB = 1024 * 1024;
const TUNING = { batchSize: 4, maxInFlight: 4, readAhead: 4, writeSlack: 8, hashPlacement: 'auto' } as const;
/** Per 256 KiB block: U unique, D copy of block i % 4, Z zero, H half zero, T text. 12 MiB. */
const LAYOUT = 'UUUUUUUU' + 'DDDDZDDDDDDDZDDD' + 'UUUUHUUUTUUUUUUU' + 'ZZZZUHDD';

function makeDisk(): Uint8Array {
  const disk = new Uint8Array(LAYOUT.length * BS);
  [...LAYOUT].forEach((k, i) => {
    const block = disk.subarray(i * BS, (i + 1) * BS);
    if (k === 'U') block.set(prng(i, BS));
    else if (k === 'D') block.set(disk.subarray((i % 4) * BS, (i % 4) * BS + BS));
    else if (k === 'H') block.set(prng(i, BS / 2), BS / 2);
    else if (k === 'T') block.set(Buffer.from('worker reads '.repeat(BS / 13 + 1)).subarray(0, BS));
  });
  return disk;
}

/** Zero, duplicate and distinct non-zero blocks of `disk` on the BS grid. */
function expectedCounts(disk: Uint8Array): { zero: number; duplicate: number; stored: number } {
  const seen = new Set<string>();
  let [zero, duplicate] = [0, 0];
  for (let at = 0; at < disk.length; at += BS) {
    const block = disk.subarray(at, Math.min(at + BS, disk.length));
    if (isAllZero(block)) zero++;
    else {
      const id = Buffer.from(blockIdentity(block, undefined)).toString('hex');
      if (seen.has(id)) duplicate++;
      seen.add(id);
    }
  }
  return { zero, duplicate, stored: seen.size };
}

let t: { dir: string; cleanup: () => Promise<void> };
interface Source {
  readonly name: string;
  readonly path: string;
  /** What a restore gives back: the image's bytes, skipped ranges zeroed. */
  readonly bytes: Uint8Array;
  readonly readBytes?: number;
  readonly skip?: ByteRange[];
  readonly skipped?: number;
}
const sources: Source[] = [];
/** BitLooker-like skip ranges: not read (≥ 64 KiB), read and zeroed, a whole block, a block left all zero. */
const SKIP = [
  { offset: 100 * 1024, length: 100 * 1024 },
  { offset: 2 * BS + 10, length: 1000 },
  { offset: 5 * BS, length: BS },
  { offset: 28 * BS + BS / 2, length: BS / 2 },
];
beforeAll(async () => {
  t = await tempDir('dm-wreads-');
  const disk = makeDisk();
  // Raw: an odd-sized tail block too.
  const raw = new Uint8Array(disk.length + 1000);
  raw.set(disk);
  raw.set(prng(99, 1000), disk.length);
  const rawPath = join(t.dir, 'disk.img');
  writeFileSync(rawPath, raw);
  // Dynamic VHDX with 1 MiB blocks: only MiBs holding data are allocated (10..11 MiB is absent).
  const vhdx = join(t.dir, 'disk.vhdx');
  const w = await createVhdx(vhdx, { virtualSize: disk.length, blockSize: MiB });
  for (let at = 0; at < disk.length; at += BS)
    if (!isAllZero(disk.subarray(at, at + BS))) await w.write(disk.subarray(at, at + BS), at);
  await w.close();
  // A child with sector writes: partial blocks over parent data and over the absent MiB.
  const child = join(t.dir, 'child.vhdx');
  const c = await createVhdx(child, { parent: { path: vhdx }, blockSize: MiB });
  const chainBytes = disk.slice();
  const writes = [4096, 1024, 10 * MiB + 65536, 4096, 10 * MiB + 716800, 512, 5 * MiB, 8192];
  for (let i = 0; i < writes.length; i += 2) {
    const [at, data] = [writes[i]!, prng(i, writes[i + 1]!)];
    chainBytes.set(data, at);
    await c.write(data, at);
  }
  await c.close();
  const skipped = raw.slice();
  for (const r of SKIP) skipped.fill(0, r.offset, r.offset + r.length);
  const skipRead = raw.length - 100 * 1024 - BS - BS / 2;
  sources.push({ name: 'raw', path: rawPath, bytes: raw, readBytes: raw.length });
  sources.push({
    name: 'raw-skip',
    path: rawPath,
    bytes: skipped,
    readBytes: skipRead,
    skip: SKIP,
    skipped: 1,
  });
  sources.push({ name: 'vhdx', path: vhdx, bytes: disk }, { name: 'chain', path: child, bytes: chainBytes });
});
afterAll(() => t.cleanup());

interface Run {
  readonly counters: ProcessorCounters;
  /** Jobs sent with read maps: to hash first, and to hash and seal in one go (fused). */
  readonly hashedFirst: number;
  readonly fused: number;
  readonly pointId: string;
}

/** One backup point through runPipeline on a shared pool, as job/backup.ts runs it. */
async function runOnce(pool: BlockCompute, src: Source, job: string, tuning: Partial<PipelineTuning>) {
  const repo = await openRepository(join(t.dir, `repo-${src.name}`), { create: true });
  const source = await openImage(src.path);
  try {
    const point = { vm: job, disk: 0, virtualSize: source.virtualSize, blockSize: BS, type: 'full' as const };
    const writer = await beginPoint(repo, { ...point, backupFile: job });
    const engine: SealEngine = engineOn(
      { level: 'optimal', identityKey: undefined, blobKey: undefined },
      pool,
    );
    const seen = { hashedFirst: 0, fused: 0 };
    const { hash, seal } = engine;
    engine.hash = (jobs) => ((seen.hashedFirst += jobs.filter((j) => j.reads).length), hash(jobs));
    engine.seal = (jobs) => ((seen.fused += jobs.filter((j) => j.reads).length), seal(jobs));
    try {
      const filters = src.skip ? [skipRangesFilter(src.skip)] : [];
      const { counters } = await runPipeline({
        source,
        plan: planBlocks(source.extents(), blockGrid(source.virtualSize, BS), { filters }),
        target: writer,
        engine,
        blockSize: BS,
        incremental: false,
        tuning: { ...TUNING, ...tuning },
      });
      const { readBytes, transferredBytes } = counters;
      const info = await writer.commit({ processedBytes: source.virtualSize, readBytes, transferredBytes });
      return { counters, ...seen, pointId: info.id } satisfies Run;
    } catch (err) {
      await writer.abort();
      throw err;
    } finally {
      await engine.close();
    }
  } finally {
    await source.close();
  }
}

/** Which calls carry read maps: fused never hashes first, pool always does, auto switches on duplicates. */
const USED = { auto: [true, true], fused: [false, true], pool: [true, false] };

/** The two compute engines: worker threads, and the addon's native threads where it is built. */
const native = nativeFits('optimal', 2);
const ENGINES = [
  { engine: 'workers', pool: (): BlockCompute => new BlockPool({ threads: 2, maxInFlight: 4 }) },
  ...(native ? [{ engine: 'native', pool: (): BlockCompute => new NativeBlockPool(2, native) }] : []),
];

describe.each(ENGINES)('blocks read by the compute threads ($engine)', ({ engine, pool: newPool }) => {
  const placements = ['auto', 'fused', 'pool'] as const satisfies readonly HashPlacement[];
  it.each(['raw', 'raw-skip', 'vhdx', 'chain'])(
    '%s: every placement restores bit-exact; counters match readIn main',
    async (name) => {
      const src = sources.find((s) => s.name === name)!;
      const repo = join(t.dir, `repo-${name}`);
      const prefix = `${engine}-${name}`;
      // Skipped blocks restore as zeros but are counted as skipped.
      const counted = expectedCounts(src.bytes);
      const skipped = src.skipped ?? 0;
      const want = { ...counted, zero: counted.zero - skipped, skipped };
      expect(want.zero).toBeGreaterThan(2);
      expect(want.duplicate).toBeGreaterThan(10);
      const pool = newPool();
      try {
        for (const hashPlacement of placements) {
          const runs: Record<string, Run> = {};
          for (const readIn of ['workers', 'main'] as const) {
            const job = `${prefix}-${hashPlacement}-${readIn}`;
            const r = (runs[readIn] = await runOnce(pool, src, job, { hashPlacement, readIn }));
            const out = join(t.dir, `${job}.raw`);
            await restore({ repo, vm: job, point: r.pointId, out });
            expect({ job, exact: Buffer.compare(readFileSync(out), src.bytes) }).toEqual({ job, exact: 0 });
            const { zeroBlocks: zero, duplicateBlocks: duplicate, storedBlocks: stored } = r.counters;
            const skipped = r.counters.skippedBlocks;
            expect({ job, zero, duplicate, stored, skipped }).toEqual({ job, ...want });
          }
          const [w, m] = [runs['workers']!, runs['main']!];
          expect(m.hashedFirst + m.fused).toBe(0);
          if (src.readBytes !== undefined) expect(w.counters.readBytes).toBe(src.readBytes);
          const pick = (c: ProcessorCounters) => ({ read: c.readBytes, zeroRead: c.zeroReadBlocks });
          expect.soft({ hashPlacement, ...pick(w.counters) }).toEqual({ hashPlacement, ...pick(m.counters) });
          const used = [w.hashedFirst > 0, w.fused > 0];
          expect({ hashPlacement, used }).toEqual({ hashPlacement, used: USED[hashPlacement] });
        }
      } finally {
        await pool.close();
      }
      expect((await verify({ repo })).ok).toBe(true);
    },
  );
});

describe.each(ENGINES)('a source that shrinks under the backup ($engine)', ({ engine }) => {
  it('fails in the compute thread with DM_ERR_SOURCE_TRUNCATED; earlier points still verify', async () => {
    const image = join(t.dir, `shrink-${engine}.img`);
    const bytes = prng(7, 4 * MiB);
    writeFileSync(image, bytes);
    const repo = join(t.dir, `repo-shrink-${engine}`);
    const tuning = { engine: engine as 'native' | 'workers' };
    const common = { repo, disk: image, vm: 'shrink', blockSize: BS, threads: 2, bitlooker: false, tuning };
    const first = await backup(common);
    // After the image is open, before the pipeline reads: the last 2 MiB disappear.
    const err = await backup({
      ...common,
      onProgress: (e) => {
        if (e.phase === 'analyze') truncateSync(image, 2 * MiB + 1000);
      },
    }).catch((e: unknown) => e as Error & { code?: string });
    expect(err).toMatchObject({ code: 'DM_ERR_SOURCE_TRUNCATED' });
    expect((err as Error).message).toContain(image);
    expect((err as Error).message).toMatch(/shrank while open/); // executeReadMap's words, not RawImage.read's
    const listed = await points({ repo });
    expect(listed.points.map((p) => p.id)).toEqual([first.points[0]!.id]);
    expect((await verify({ repo })).ok).toBe(true);
    const out = join(t.dir, `shrink-first-${engine}.raw`);
    await restore({ repo, vm: 'shrink', out });
    expect(Buffer.compare(readFileSync(out), bytes)).toBe(0);
  });
});
