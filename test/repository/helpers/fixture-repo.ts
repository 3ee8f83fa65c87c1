/** A small repository with a full and an incremental point, and helpers to copy and damage it. */
import { cp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { openRepository, openWriter } from '../../../src/repository/index.js';
import type { PointInfo } from '../../../src/repository/index.js';
import { backupDisk } from './backup.js';
import { makeDisk } from './disk.js';

export const FIXTURE_BLOCK = 256 * 1024;

export interface FixtureRepo {
  readonly dir: string;
  readonly password: string | undefined;
  readonly points: { info: PointInfo; disk: Buffer }[];
}

export async function buildFixtureRepo(dir: string, password?: string): Promise<FixtureRepo> {
  const repo = await openRepository(dir, { create: true, ...(password ? { password, scryptLogN: 10 } : {}) });
  const disk = makeDisk(3, FIXTURE_BLOCK, 8, 1536);
  const w = await openWriter(repo, 'job1', { packLimit: 300 * 1024 });
  const full = await backupDisk((o) => w.beginPoint(o), disk, FIXTURE_BLOCK, {
    vm: 'vm1',
    disk: 0,
    type: 'full',
  });
  const next = Buffer.from(disk).fill(7, 5, 5000);
  const inc = await backupDisk(
    (o) => w.beginPoint(o),
    next,
    FIXTURE_BLOCK,
    { vm: 'vm1', disk: 0, type: 'incremental' },
    { blocks: [0] },
  );
  await w.close();
  return {
    dir,
    password,
    points: [
      { info: full, disk },
      { info: inc, disk: next },
    ],
  };
}

/** Every file of the repository, relative to it (lock files excluded: there are none after close). */
export async function repoFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string) {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  }
  await walk(dir);
  return out.sort();
}

export async function copyRepo(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
}

export async function flipBit(file: string, offset: number, bit = 0): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] = bytes[offset]! ^ (1 << bit);
  await writeFile(file, bytes);
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}
