import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { backup } from '../../src/job/backup.js';
import { restore } from '../../src/job/restore.js';
import { verify } from '../../src/job/verify.js';
import { points } from '../../src/job/points.js';
import { skipRangesFilter } from '../../src/plan/filters.js';
import { nativeFits } from '../../src/workers/native-fit.js';
import { buildDisk, sameBytes, tempDir, writeImage } from './disk-helpers.js';

const MiB = 1024 * 1024;
let t: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  t = await tempDir();
});
afterAll(() => t.cleanup());

describe('backup → restore (smoke)', () => {
  it('round-trips a VHDX with zero, random, text and duplicate blocks, and reports §3.1 stats', async () => {
    const disk = buildDisk(
      [
        { kind: 'text', length: 2 * MiB + 100, seed: 1 },
        { kind: 'zero', length: 3 * MiB, seed: 0 },
        { kind: 'random', length: MiB, seed: 0 },
        { kind: 'repeat', length: 1, seed: 0 },
        { kind: 'text', length: MiB, seed: 2 },
      ],
      9 * MiB,
      MiB,
    );
    const image = join(t.dir, 'vm1.vhdx');
    await writeImage(image, disk, 'vhdx');
    const repo = join(t.dir, 'repo');
    const events: string[] = [];
    const r = await backup({ repo, disk: image, threads: 0, onProgress: (e) => events.push(e.phase) });
    expect(r.job).toBe('backup');
    expect(r.points).toEqual([expect.objectContaining({ vm: 'vm1', disk: 0, type: 'full' })]);
    expect(r.stats.processedBytes).toBe(9 * MiB);
    expect(r.stats.readBytes).toBeLessThan(9 * MiB); // zero VHDX blocks cost no I/O
    expect(r.stats.blocks.duplicate).toBeGreaterThanOrEqual(1);
    expect(r.stats.transferredBytes).toBeLessThan(r.stats.readBytes);
    expect(Object.keys(r.stats.bottleneck).sort()).toEqual([
      'network',
      'primary',
      'proxy',
      'source',
      'target',
    ]);
    expect(r.tasks[0]).toEqual(expect.objectContaining({ vm: 'vm1', disk: 0, status: 'warning' }));
    expect(events).toContain('done');
    const out = join(t.dir, 'out.raw');
    const rr = await restore({ repo, vm: 'vm1', out });
    expect(rr.point.id).toBe(r.points[0]!.id);
    expect(await sameBytes(out, disk)).toBe(true);
    const v = await verify({ repo });
    expect(v.ok).toBe(true);
    const p = await points({ repo });
    expect(p.points.map((x) => x.id)).toEqual([r.points[0]!.id]);
  });

  it('plan filters: skipped blocks and zeroed ranges restore as zeros, everything else exact', async () => {
    const disk = buildDisk([{ kind: 'text', length: 4 * MiB, seed: 9 }], 4 * MiB, MiB);
    const image = join(t.dir, 'filtered.img');
    await writeImage(image, disk, 'raw');
    const repo = join(t.dir, 'repo-filtered');
    const skip = [
      { offset: MiB, length: MiB }, // block 1 wholly: skipped, no read
      { offset: 3 * MiB + 100, length: 1000 }, // inside block 3: zeroed before hashing
    ];
    const r = await backup({ repo, disk: image, threads: 0, filters: [skipRangesFilter(skip)] });
    expect(r.stats.blocks.skipped).toBe(1);
    expect(r.stats.readBytes).toBe(3 * MiB);
    const out = join(t.dir, 'filtered.raw');
    await restore({ repo, vm: 'filtered', out });
    const expected = disk.slice();
    for (const s of skip) expected.fill(0, s.offset, s.offset + s.length);
    expect(await sameBytes(out, expected)).toBe(true);
  });
});

describe('tuning.engine', () => {
  it('the two compute engines store the same bytes; forcing native at a level it lacks is refused', async () => {
    const disk = buildDisk(
      [
        { kind: 'text', length: 3 * MiB + 7, seed: 3 },
        { kind: 'random', length: MiB, seed: 1 },
        { kind: 'repeat', length: 1, seed: 0 },
      ],
      6 * MiB,
      MiB,
    );
    const image = join(t.dir, 'engines.vhdx');
    await writeImage(image, disk, 'vhdx');
    const runs = [];
    // The addon registers the native engine on x86-64 only (CI fails elsewhere if it did not build).
    const engines = nativeFits('optimal', 2) ? (['workers', 'native'] as const) : (['workers'] as const);
    for (const engine of engines) {
      const repo = join(t.dir, `repo-engine-${engine}`);
      const r = await backup({ repo, disk: image, threads: 2, tuning: { engine } });
      const out = join(t.dir, `engine-${engine}.raw`);
      await restore({ repo, vm: 'engines', out });
      expect(await sameBytes(out, disk)).toBe(true);
      runs.push(r.stats);
    }
    if (runs.length === 2) {
      const [w, n] = runs; // same frames: same stored bytes and block outcomes
      expect(n!.transferredBytes).toBe(w!.transferredBytes);
      expect(n!.blocks).toEqual(w!.blocks);
    }
    const refused = await backup({
      repo: join(t.dir, 'repo-engine-refused'),
      disk: image,
      threads: 2,
      compression: 'high',
      tuning: { engine: 'native' },
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'DM_ERR_ARG_INVALID' });
  });
});
