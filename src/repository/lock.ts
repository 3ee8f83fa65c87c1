/**
 * The writer lock of one backup file: `lock` holds `{pid, host, since}`. Taken by O_EXCL-creating
 * a temp file with the content, then link()-ing it to `lock` (atomic, fails with EEXIST), so a lock
 * file never exists half-written. A lock whose pid is dead on this host is stale and is broken.
 * A `lock` that is not a regular file (a FIFO, device, directory or symlink) is never opened,
 * followed or moved: it is DM_ERR_REPO_CORRUPT. A temp file whose writing fails (ENOSPC) is removed
 * at once; one left by a killed run is removed by a later writer (leftovers.ts).
 */
import { hostname } from 'node:os';
import { link, open, rename, unlink } from 'node:fs/promises';
import { dmError, fromSystemError } from '../errors.js';
import { isAlive } from '../core/process-alive.js';
import { pathKind, readRegularFile, wrongKind } from './safe-fs.js';

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface HeldLock {
  release(): Promise<void>;
}

/** The holder a lock names; undefined when it vanished or is garbage. Never opens a non-regular file. */
async function readLock(path: string): Promise<LockInfo | undefined> {
  const kind = await pathKind(path);
  if (kind !== 'regular file' && kind !== 'missing') throw wrongKind(path, kind, 'lock');
  try {
    const bytes = await readRegularFile(path, 4096, 'lock');
    const info = JSON.parse(bytes?.toString('utf8') ?? 'null') as Partial<LockInfo> | null;
    if (info && typeof info.pid === 'number' && typeof info.host === 'string') return info as LockInfo;
  } catch {
    // unreadable, too large or vanished: treated below
  }
  return undefined;
}

async function tryLink(tmp: string, path: string): Promise<boolean> {
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromSystemError(err, 'write', path);
  }
}

export async function acquireLock(path: string, what: string): Promise<HeldLock> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(JSON.stringify(info));
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    // Created (and maybe half-written) by this call: never left behind.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await unlink(tmp).catch(() => undefined);
    throw fromSystemError(err, 'write', tmp);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await tryLink(tmp, path)) return { release: () => unlink(path).catch(() => undefined) };
      const holder = await readLock(path);
      if (holder && (holder.host !== info.host || isAlive(holder.pid)))
        throw dmError(
          'DM_ERR_REPO_LOCKED',
          `${what} is locked by pid ${holder.pid} on ${JSON.stringify(holder.host)}`,
          {
            file: path,
          },
        );
      // Stale (dead pid) or garbage: move it aside atomically, so two breakers cannot both win.
      const aside = `${path}.stale.${process.pid}`;
      if (
        !(await rename(path, aside).then(
          () => true,
          () => false,
        ))
      )
        continue;
      const moved = await readLock(aside);
      if (moved && holder && (moved.pid !== holder.pid || moved.since !== holder.since)) {
        // Another breaker re-took the lock between our read and rename: give it back.
        await link(aside, path).catch(() => undefined);
        await unlink(aside).catch(() => undefined);
        throw dmError('DM_ERR_REPO_LOCKED', `${what} is locked by pid ${moved.pid}`, { file: path });
      }
      await unlink(aside).catch(() => undefined);
    }
    throw dmError('DM_ERR_REPO_LOCKED', `${what} is locked (the lock keeps reappearing)`, { file: path });
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
