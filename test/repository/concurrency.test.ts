/**
 * Writers and locks: two writers on two backup files of one repository commit side by side; a
 * second writer on the same backup file gets DM_ERR_REPO_LOCKED; a lock left by a dead process is
 * broken, one held by a live process is not.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPoints, openRepository, openWriter } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import { backupDisk } from './helpers/backup.js';
import { codeOf } from './helpers/code-of.js';
import { makeDisk } from './helpers/disk.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const BS = 256 * 1024;

describe('concurrent writers', () => {
  it('two backup files at once: both commit and restore', async () => {
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true, password: 'pw', scryptLogN: 10 });
    const disks = [makeDisk(31, BS, 12, 512), makeDisk(32, BS, 12, 0)];
    // Separate repository handles, as two processes would have.
    const other = await openRepository(join(dir, 'repo'), { password: 'pw' });
    const [wa, wb] = await Promise.all([openWriter(repo, 'jobA'), openWriter(other, 'jobB')]);
    const infos = await Promise.all([
      backupDisk((o) => wa.beginPoint(o), disks[0]!, BS, { vm: 'a', disk: 0, type: 'full' }),
      backupDisk((o) => wb.beginPoint(o), disks[1]!, BS, { vm: 'b', disk: 0, type: 'full' }),
    ]);
    await Promise.all([wa.close(), wb.close()]);
    expect(infos.map((i) => i.backupFile)).toEqual(['jobA', 'jobB']);
    expect((await listPoints(repo)).map((p) => p.vm).sort()).toEqual(['a', 'b']);
    for (const [i, vm] of ['a', 'b'].entries()) {
      await restorePoint(repo, { vm, out: join(dir, `${vm}.raw`) });
      expect((await readFile(join(dir, `${vm}.raw`))).equals(disks[i]!)).toBe(true);
    }
    expect((await verifyRepository(repo)).problems).toEqual([]);
  });

  it('a second writer on the same backup file is refused until the first closes', async () => {
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true });
    const second = await openRepository(join(dir, 'repo'));
    const w1 = await openWriter(repo, 'job');
    expect(await codeOf(openWriter(second, 'job'))).toBe('DM_ERR_REPO_LOCKED');
    // The shorthand takes the same lock.
    expect(
      await codeOf(
        import('../../src/repository/index.js').then((m) =>
          m.beginPoint(second, {
            backupFile: 'job',
            vm: 'v',
            disk: 0,
            virtualSize: BS,
            blockSize: BS,
            type: 'full',
          }),
        ),
      ),
    ).toBe('DM_ERR_REPO_LOCKED');
    await backupDisk((o) => w1.beginPoint(o), makeDisk(1, BS, 2), BS, { vm: 'v', disk: 0, type: 'full' });
    await w1.close();
    const w2 = await openWriter(second, 'job');
    await w2.close();
  });

  it('breaks a stale lock of a dead process, respects a live one', async () => {
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true });
    const w = await openWriter(repo, 'job');
    await w.close();
    const lock = join(dir, 'repo', 'files', 'job', 'lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    await writeFile(lock, JSON.stringify({ pid: dead, host: hostname(), since: new Date().toISOString() }));
    const w2 = await openWriter(repo, 'job');
    expect(JSON.parse(await readFile(lock, 'utf8')).pid).toBe(process.pid);
    await w2.close();
    // A live holder (our parent process) keeps its lock.
    await writeFile(
      lock,
      JSON.stringify({ pid: process.ppid, host: hostname(), since: new Date().toISOString() }),
    );
    expect(await codeOf(openWriter(repo, 'job'))).toBe('DM_ERR_REPO_LOCKED');
    // A garbage lock file (no pid) is treated as stale.
    await writeFile(lock, 'garbage');
    const w3 = await openWriter(repo, 'job');
    await w3.close();
  });

  it('rejects backup file names that could escape the repository', async () => {
    const repo = await openRepository(join(await tempDir(), 'repo'), { create: true });
    for (const bad of ['../x', 'a/b', '.hidden', '', 'x'.repeat(200)])
      expect(await codeOf(openWriter(repo, bad))).toBe('DM_ERR_ARG_INVALID');
  });
});
