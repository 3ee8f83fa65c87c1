/**
 * A full repository disk (ENOSPC, injected through the writer's I/O layer) fails the job with
 * DM_ERR_IO_NOSPACE; the writer is then poisoned (DM_ERR_REPO_WRITER_BROKEN); earlier points
 * survive, verify and restore; the next run cleans up and succeeds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPoints, openRepository, openWriter } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import { backupDisk, writeDisk } from './helpers/backup.js';
import { codeOf } from './helpers/code-of.js';
import { makeDisk } from './helpers/disk.js';
import { enospcAfter } from './helpers/faulty-io.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const BS = 256 * 1024;

describe('ENOSPC at the writer', () => {
  // Inside the first pack header, inside the first frame, a later frame, and the manifest only.
  it.each([
    { budget: 10, where: 'pack header', encrypted: false },
    { budget: 80 + 1000, where: 'first frame', encrypted: true },
    { budget: 300_000, where: 'later frame', encrypted: false },
    { budget: 100, where: 'manifest', encrypted: true, manifestOnly: true },
  ])('fails cleanly in the $where (encrypted: $encrypted)', async ({ budget, encrypted, manifestOnly }) => {
    const dir = join(await tempDir('dm-enospc-'), 'repo');
    const creds = encrypted ? { password: 'pw', scryptLogN: 10 } : {};
    const good = await openRepository(dir, { create: true, ...creds });
    const disk1 = makeDisk(21, BS, 10, 0);
    const w0 = await openWriter(good, 'job');
    await backupDisk((o) => w0.beginPoint(o), disk1, BS, { vm: 'vm', disk: 0, type: 'full' });
    await w0.close();

    const io = enospcAfter(budget, manifestOnly ? (p) => p.includes('.tmp-') : undefined);
    const full = await openRepository(dir, { ...creds, io });
    const disk2 = makeDisk(22, BS, 10, 0);
    const w = await openWriter(full, 'job');
    const p = await w.beginPoint({
      vm: 'vm',
      disk: 0,
      virtualSize: disk2.length,
      blockSize: BS,
      type: 'full',
    });
    const code = await codeOf(writeDisk(p, disk2, BS));
    expect(code).toBe('DM_ERR_IO_NOSPACE');
    if (manifestOnly) {
      // The manifest write failed after the packs were durable: that point is simply not there.
      expect(
        await codeOf(w.beginPoint({ vm: 'vm', disk: 1, virtualSize: BS, blockSize: BS, type: 'full' })),
      ).toBe('DM_ERR_REPO_WRITER_BROKEN');
      await w.close();
    } else {
      // Poisoned: further use is refused with a clear code.
      expect(() => p.putZero(0)).toThrow(expect.objectContaining({ code: 'DM_ERR_REPO_WRITER_BROKEN' }));
      await p.abort();
      await w.close();
    }

    const repo = await openRepository(dir, creds);
    const listed = await listPoints(repo);
    expect(listed).toHaveLength(1);
    expect((await verifyRepository(repo)).problems).toEqual([]);
    await restorePoint(repo, { vm: 'vm', out: join(dir, '..', 'r1.raw') });
    expect((await readFile(join(dir, '..', 'r1.raw'))).equals(disk1)).toBe(true);

    // The next run (disk space back) succeeds and leaves a clean repository.
    const w2 = await openWriter(repo, 'job');
    await backupDisk((o) => w2.beginPoint(o), disk2, BS, { vm: 'vm', disk: 0, type: 'full' });
    await w2.close();
    const report = await verifyRepository(repo);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    await restorePoint(repo, { vm: 'vm', out: join(dir, '..', 'r2.raw') });
    expect((await readFile(join(dir, '..', 'r2.raw'))).equals(disk2)).toBe(true);
  });
});
