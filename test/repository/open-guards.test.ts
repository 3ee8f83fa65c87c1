/**
 * What openRepository refuses before writing anything (issue 14, items 4 and 11), and the temp
 * files of killed runs a later writer removes (item 9).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRepository, openWriter } from '../../src/repository/index.js';
import { fingerprint } from '../hostile/scratch.js';
import { codeOf } from './helpers/code-of.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

/** A pid that is certainly dead: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

async function makeOld(path: string): Promise<void> {
  const past = new Date(Date.now() - 10 * 60_000);
  await utimes(path, past, past);
}

describe('a password for a plain repository', () => {
  it('is DM_ERR_CRYPTO_NOT_ENCRYPTED, on open and on create, and nothing is written', async () => {
    const dir = await tempDir();
    const repoDir = join(dir, 'plain');
    await openRepository(repoDir, { create: true });
    const before = fingerprint(repoDir);
    expect(await codeOf(openRepository(repoDir, { password: 'pw' }))).toBe('DM_ERR_CRYPTO_NOT_ENCRYPTED');
    expect(await codeOf(openRepository(repoDir, { create: true, password: 'pw' }))).toBe(
      'DM_ERR_CRYPTO_NOT_ENCRYPTED',
    );
    expect(fingerprint(repoDir)).toBe(before);
  });
});

describe('where a repository may be created', () => {
  it('refuses a non-empty directory that is not a repository, writing nothing', async () => {
    const dir = await tempDir();
    const home = join(dir, 'home');
    await mkdir(home);
    await writeFile(join(home, 'notes.txt'), 'mine');
    const before = fingerprint(home);
    const err = openRepository(home, { create: true });
    await expect(err).rejects.toMatchObject({ code: 'DM_ERR_REPO_NOT_EMPTY' });
    await expect(err).rejects.toThrow(home);
    expect(fingerprint(home)).toBe(before);
    // A repository whose config was deleted is not re-initialised over its data either.
    await mkdir(join(dir, 'gone', 'files'), { recursive: true });
    expect(await codeOf(openRepository(join(dir, 'gone'), { create: true }))).toBe('DM_ERR_REPO_NOT_EMPTY');
  });

  it('creates in a missing or empty directory, and one holding only a racing creator’s temp config', async () => {
    const dir = await tempDir();
    await openRepository(join(dir, 'missing', 'deeper'), { create: true });
    await mkdir(join(dir, 'empty'));
    await openRepository(join(dir, 'empty'), { create: true });
    await mkdir(join(dir, 'racing'));
    // A live creator's temp (the parent process is alive): it may win the link race; we must not fail.
    await writeFile(join(dir, 'racing', `config.tmp-${process.ppid}.0a1b2c3d-w`), 'partial');
    await openRepository(join(dir, 'racing'), { create: true });
    // Two creators at once: one link() wins, the other opens the winner's repository.
    const [a, b] = await Promise.all([
      openRepository(join(dir, 'twice'), { create: true }),
      openRepository(join(dir, 'twice'), { create: true }),
    ]);
    expect(a.repoId).toBe(b.repoId);
  });

  it('a path that is not a directory is no repository (and is left alone)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const link = join(dir, 'link');
    await symlink(file, link);
    for (const p of [file, fifo, link]) {
      const before = fingerprint(p);
      expect(await codeOf(openRepository(p, { create: true }))).toBe('DM_ERR_REPO_NOT_FOUND');
      expect(await codeOf(openRepository(p))).toBe('DM_ERR_REPO_NOT_FOUND');
      expect(fingerprint(p)).toBe(before);
    }
  });
});

describe('leftovers of killed runs', () => {
  it('a writer removes dead runs’ lock and config temp files, and nothing else', async () => {
    const dir = await tempDir();
    const repoDir = join(dir, 'repo');
    const repo = await openRepository(repoDir, { create: true });
    await (await openWriter(repo, 'job')).close();
    const bf = join(repoDir, 'files', 'job');
    const dead = deadPid();
    const host = hostname();
    const lockInfo = (pid: number, h = host) =>
      JSON.stringify({ pid, host: h, since: new Date().toISOString() });
    // Dead on this host: removed.
    await writeFile(join(bf, `lock.${dead}.k3j2h1`), lockInfo(dead));
    await writeFile(join(bf, `lock.stale.${dead}`), lockInfo(dead + 1));
    await writeFile(join(bf, `lock.${dead}.empty1`), ''); // ENOSPC while locking: empty, old
    await makeOld(join(bf, `lock.${dead}.empty1`));
    await writeFile(join(repoDir, `config.tmp-${dead}.0123abcd-w`), 'partial');
    await makeOld(join(repoDir, `config.tmp-${dead}.0123abcd-w`));
    await writeFile(join(repoDir, `config.tmp-${dead}`), 'an older version’s name');
    await makeOld(join(repoDir, `config.tmp-${dead}`));
    // Kept: a live pid, another host, a fresh file that cannot tell, a stranger, a FIFO.
    const kept = [
      `lock.${process.pid}.a1b2`,
      `lock.${dead}.other`,
      `lock.${dead}.fresh`,
      `lock.${dead}`,
      `lock.${dead}.fifo`,
    ];
    await writeFile(join(bf, kept[0]!), lockInfo(process.pid));
    await writeFile(join(bf, kept[1]!), lockInfo(dead, 'another-host.example'));
    await writeFile(join(bf, kept[2]!), '');
    await writeFile(join(bf, kept[3]!), 'not a temp name');
    spawnSync('mkfifo', [join(bf, kept[4]!)]);
    await writeFile(join(repoDir, `config.tmp-${dead}.ffffffff`), 'fresh: maybe another host’s creator');

    await (await openWriter(repo, 'job')).close();
    expect((await readdir(bf)).sort()).toEqual([...kept, 'packs', 'points'].sort());
    expect((await readdir(repoDir)).sort()).toEqual(['config', `config.tmp-${dead}.ffffffff`, 'files']);
  });
});
