/**
 * Restore and verify on worker threads (FrameRunPool): same results as the main-thread path,
 * bit-exact restores, and damage still reported per frame with a DM_ERR code.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import { openRepository } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import { buildFixtureRepo, copyRepo, flipBit } from './helpers/fixture-repo.js';
import type { FixtureRepo } from './helpers/fixture-repo.js';
import { closeSharedPool, sharedPool } from './helpers/decode-modes.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

const pool = sharedPool();
afterAll(async () => {
  await closeSharedPool();
  await cleanTempDirs();
});

describe.each([
  { name: 'plain', password: undefined },
  { name: 'encrypted', password: 'par-pw' },
])('decoding on worker threads ($name)', ({ password }) => {
  let fx: FixtureRepo;
  beforeAll(async () => {
    fx = await buildFixtureRepo(join(await tempDir(), 'repo'), password);
  });

  it('verifies clean and restores bit-exact', async () => {
    const repo = await openRepository(fx.dir, password ? { password } : {});
    const serial = await verifyRepository(repo, { threads: 0 });
    const parallel = await verifyRepository(repo, { pool });
    expect(parallel.problems).toEqual([]);
    expect({ ...parallel }).toEqual({ ...serial });
    for (const [i, p] of fx.points.entries()) {
      const out = join(fx.dir, '..', `par-${i}.raw`);
      await restorePoint(repo, { vm: 'vm1', point: p.info.id, out, pool });
      expect((await readFile(out)).equals(p.disk)).toBe(true);
    }
  });

  it('reports a damaged payload and refuses to restore it', async () => {
    const dir = await tempDir();
    await copyRepo(fx.dir, join(dir, 'r'));
    const packDir = join(dir, 'r', 'files', 'job1', 'packs');
    const first = (await readdir(packDir)).sort()[0]!;
    await flipBit(join(packDir, first), 80 + 72 + 1000, 3); // inside the first frame's payload
    const repo = await openRepository(join(dir, 'r'), password ? { password } : {});
    const report = await verifyRepository(repo, { threads: 2 });
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.file).toContain(first);
    expect(report.damagedPoints.length).toBeGreaterThan(0);
    const out = join(dir, 'o.raw');
    const err = await restorePoint(repo, { vm: 'vm1', point: fx.points[0]!.info.id, out, pool }).catch(
      (e) => e,
    );
    expect(isDmError(err)).toBe(true);
    expect(
      await access(out).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });
});
