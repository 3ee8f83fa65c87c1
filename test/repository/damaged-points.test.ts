/**
 * One damaged manifest blocks nothing else (issue 14, item 5). Backup file `job` holds points of
 * VMs x and y; x's latest manifest gets a flipped bit. Then: y restores; x's latest is refused as
 * damaged (DM_ERR_REPO_POINT_DAMAGED, not silently an older point); x's older point restores by
 * id; the points listing names the damaged point; verify says how to repair; a writer still opens
 * the backup file, takes a full, refuses to build an incremental on a possibly-damaged latest, and
 * deletes no pack the damaged point may use. Plain and encrypted.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPointsAndDamage, scanPoints } from '../../src/repository/catalog.js';
import { openRepository, openWriter } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import type { PointInfo } from '../../src/repository/index.js';
import { backupDisk } from './helpers/backup.js';
import { codeOf } from './helpers/code-of.js';
import { makeDisk } from './helpers/disk.js';
import { flipBit } from './helpers/fixture-repo.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const BS = 256 * 1024;

interface Setup {
  readonly dir: string;
  readonly repoDir: string;
  readonly password: string | undefined;
  readonly x: { info: PointInfo; disk: Buffer }[];
  readonly y: { info: PointInfo; disk: Buffer };
}

async function setup(password: string | undefined): Promise<Setup> {
  const dir = await tempDir('dm-damaged-');
  const repoDir = join(dir, 'repo');
  const repo = await openRepository(repoDir, {
    create: true,
    ...(password ? { password, scryptLogN: 10 } : {}),
  });
  const w = await openWriter(repo, 'job', { packLimit: 400 * 1024 });
  const x0 = makeDisk(41, BS, 6);
  const y0 = makeDisk(42, BS, 6);
  const x1 = Buffer.from(x0).fill(9, 0, 3000);
  const a = await backupDisk((o) => w.beginPoint(o), x0, BS, { vm: 'x', disk: 0, type: 'full' });
  const b = await backupDisk((o) => w.beginPoint(o), y0, BS, { vm: 'y', disk: 0, type: 'full' });
  const c = await backupDisk((o) => w.beginPoint(o), x1, BS, { vm: 'x', disk: 0, type: 'incremental' });
  await w.close();
  return {
    dir,
    repoDir,
    password,
    x: [
      { info: a, disk: x0 },
      { info: c, disk: x1 },
    ],
    y: { info: b, disk: y0 },
  };
}

const pointFile = (s: Setup, id: string) => join(s.repoDir, 'files', 'job', 'points', `${id}.point`);
const open = (s: Setup) => openRepository(s.repoDir, s.password ? { password: s.password } : {});

describe.each([
  { name: 'plain', password: undefined },
  { name: 'encrypted', password: 'damage-pw' },
])('a damaged manifest ($name)', ({ password }) => {
  it('blocks neither other VMs nor older points, and is listed and explained', async () => {
    const s = await setup(password);
    const latestX = s.x[1]!.info.id;
    // A bit in the manifest's block map: the body no longer matches its CRC / GCM tag.
    const file = pointFile(s, latestX);
    await flipBit(file, (await stat(file)).size - 40, 3);
    const repo = await open(s);

    await restorePoint(repo, { vm: 'y', out: join(s.dir, 'y.raw') });
    expect((await readFile(join(s.dir, 'y.raw'))).equals(s.y.disk)).toBe(true);

    const latest = restorePoint(repo, { vm: 'x', out: join(s.dir, 'x.raw') });
    await expect(latest).rejects.toMatchObject({ code: 'DM_ERR_REPO_POINT_DAMAGED' });
    await expect(latest).rejects.toThrow(latestX);
    await restorePoint(repo, { vm: 'x', point: s.x[0]!.info.id, out: join(s.dir, 'x0.raw') });
    expect((await readFile(join(s.dir, 'x0.raw'))).equals(s.x[0]!.disk)).toBe(true);

    const listed = await listPointsAndDamage(repo);
    expect(listed.points.map((p) => p.id).sort()).toEqual([s.x[0]!.info.id, s.y.info.id].sort());
    expect(listed.damaged).toHaveLength(1);
    expect(listed.damaged[0]).toMatchObject({ id: latestX, backupFile: 'job', file });
    expect(listed.damaged[0]!.code).toMatch(/^DM_ERR_(REPO_CHECKSUM|CRYPTO_AUTH)$/);
    // The damage lies in the block map: the names still tell whose point it was.
    expect(listed.damaged[0]!.claimed).toMatchObject({ vm: 'x', disk: 0 });

    const report = await verifyRepository(repo, { threads: 0 });
    expect(report.ok).toBe(false);
    const problem = report.problems.find((p) => p.file === file)!;
    expect(problem.repair).toContain(`delete ${file}`);
    expect(problem.message).not.toContain(file); // the path once, in `file`
    expect(report.damagedPoints).toEqual([latestX]);
  });

  it('a writer still opens the backup file: a full works, an incremental on the damaged latest is refused', async () => {
    const s = await setup(password);
    const file = pointFile(s, s.x[1]!.info.id);
    await flipBit(file, (await stat(file)).size - 40, 3);
    const packsDir = join(s.repoDir, 'files', 'job', 'packs');
    const packsBefore = (await readdir(packsDir)).sort();
    const repo = await open(s);
    const w = await openWriter(repo, 'job');
    const x2 = Buffer.from(s.x[1]!.disk).fill(5, 9000, 12000);
    expect(
      await codeOf(backupDisk((o) => w.beginPoint(o), x2, BS, { vm: 'x', disk: 0, type: 'incremental' })),
    ).toBe('DM_ERR_REPO_POINT_DAMAGED');
    const full = await backupDisk((o) => w.beginPoint(o), x2, BS, { vm: 'x', disk: 0, type: 'full' });
    // y's chain is untouched by x's damage.
    const y1 = Buffer.from(s.y.disk).fill(1, 0, 100);
    const yInc = await backupDisk((o) => w.beginPoint(o), y1, BS, { vm: 'y', disk: 0, type: 'incremental' });
    expect(yInc.parent).toBe(s.y.info.id);
    await w.close();
    // No pack was deleted or truncated while a damaged manifest may still need it.
    for (const name of packsBefore) expect((await readdir(packsDir)).includes(name)).toBe(true);
    await restorePoint(repo, { vm: 'x', out: join(s.dir, 'x2.raw') });
    expect((await readFile(join(s.dir, 'x2.raw'))).equals(x2)).toBe(true);
    // The new full is newer than the damaged point: incrementals build on it again.
    const w2 = await openWriter(repo, 'job');
    const inc = await backupDisk((o) => w2.beginPoint(o), x2, BS, { vm: 'x', disk: 0, type: 'incremental' });
    expect(inc.parent).toBe(full.id);
    await w2.close();
  });

  it('a manifest too damaged to tell whose it is blocks the latest only where it may be newer', async () => {
    const s = await setup(password);
    const file = pointFile(s, s.x[1]!.info.id);
    // The point id inside the body (its first byte, after the 80-byte envelope header): what the
    // body says no longer matches where it lies, so it claims nothing.
    await flipBit(file, 80, 0);
    const repo = await open(s);
    const { damaged } = await scanPoints(repo);
    expect(damaged).toHaveLength(1);
    expect(damaged[0]!.claimed).toBeUndefined();
    // Written after y's latest point: it may be y's latest as well as x's.
    expect(await codeOf(restorePoint(repo, { vm: 'y', out: join(s.dir, 'y.raw') }))).toBe(
      'DM_ERR_REPO_POINT_DAMAGED',
    );
    // Named by id, every intact point restores.
    await restorePoint(repo, { vm: 'y', point: s.y.info.id, out: join(s.dir, 'y.raw') });
    expect((await readFile(join(s.dir, 'y.raw'))).equals(s.y.disk)).toBe(true);
  });
});

describe('every manifest damaged', () => {
  it('lists them all as damaged instead of "no restore points"', async () => {
    const s = await setup(undefined);
    for (const p of [...s.x, s.y]) await flipBit(pointFile(s, p.info.id), 100, 1);
    const listed = await listPointsAndDamage(await open(s));
    expect(listed.points).toEqual([]);
    expect(listed.damaged.map((d) => d.id).sort()).toEqual([...s.x, s.y].map((p) => p.info.id).sort());
  });
});
