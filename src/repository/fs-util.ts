/** Small durable-write helpers shared by the writer paths. */
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { fromSystemError } from '../errors.js';
import type { RepoIo } from './io.js';
import { isRealDir } from './safe-fs.js';

/** fsync a directory so a rename or create inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/**
 * Makes a directory inside the repository (its parent must exist) or accepts the one there: a real
 * directory only, so a symlink planted in its place is never followed (DM_ERR_REPO_CORRUPT).
 */
export async function ensureRealDir(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, 'write', dir);
  }
  await isRealDir(dir, what);
}

/** Names in a directory, or none when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(err, 'read', dir);
  }
}

/** Writes `bytes` to `tmp`, fsyncs, renames to `path`, fsyncs the directory: all or nothing. */
export async function writeAtomic(io: RepoIo, tmp: string, path: string, bytes: Uint8Array, dir: string) {
  try {
    const f = await io.openWrite(tmp, 'create');
    try {
      await f.writev([bytes], 0);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, path);
    await fsyncDir(dir);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fromSystemError(err, 'write', path);
  }
}
