/**
 * Leftovers of killed runs, and where a repository may be created.
 *
 * A run killed at the wrong moment (SIGKILL, power loss, ENOSPC while locking) can leave temp files
 * behind: `config.tmp-<pid>.<random>[-w]` of a repository being created, `files/<bf>/lock.<pid>.<random>`
 * of a writer taking the lock, `files/<bf>/lock.stale.<pid>` of one breaking a stale lock. A later
 * run removes such a file only when it is identifiably dead: its name matches the pattern exactly,
 * it is a regular file (never a FIFO, device, directory or symlink someone put there), and the
 * process its name records is not alive on this host. Lock temps record their host inside; a temp
 * whose content cannot tell (empty after an ENOSPC) and a config temp (which records no host) must
 * also be older than LEFTOVER_AGE_MS, so a creator on another host sharing the repository is never
 * robbed of a file it is about to link.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lstat, unlink } from 'node:fs/promises';
import { isAlive } from '../core/process-alive.js';
import { dmError } from '../errors.js';
import { CONFIG_NAME } from './layout.js';
import { listEntries, readRegularFile } from './safe-fs.js';

export const LEFTOVER_AGE_MS = 60_000;

const CONFIG_TEMP_RE = /^config\.tmp-(\d{1,10})(\.[0-9a-f]{8})?(-w)?$/;
const LOCK_TEMP_RE = /^lock\.(\d{1,10})\.[0-9a-z]{1,16}$/;
const LOCK_STALE_RE = /^lock\.stale\.(\d{1,10})$/;

/** A regular file older than LEFTOVER_AGE_MS (by mtime); false for anything else. */
async function oldRegularFile(path: string, now: number): Promise<boolean> {
  try {
    const st = await lstat(path);
    return st.isFile() && now - st.mtimeMs > LEFTOVER_AGE_MS;
  } catch {
    return false;
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  return lstat(path).then(
    (st) => st.isFile(),
    () => false,
  );
}

/** Removes `config.tmp-<pid>[.<random>][-w]` files of dead creators from the repository directory. */
export async function removeDeadConfigTemps(dir: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const e of await listEntries(dir)) {
    const m = CONFIG_TEMP_RE.exec(e.name);
    if (!m || e.kind !== 'regular file' || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
    const path = join(dir, e.name);
    if (await oldRegularFile(path, now))
      await unlink(path).then(
        () => removed.push(path),
        () => undefined,
      );
  }
  return removed;
}

/** The lock content a temp or stale-lock file records, if it parses. */
async function lockContent(path: string): Promise<{ pid?: unknown; host?: unknown } | undefined> {
  try {
    const bytes = await readRegularFile(path, 4096, 'lock temp file');
    return bytes ? (JSON.parse(bytes.toString('utf8')) as { pid?: unknown; host?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes lock temp files (`lock.<pid>.<random>`, `lock.stale.<pid>`) of dead writers in `bfDir`. */
export async function removeDeadLockTemps(bfDir: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const host = hostname();
  for (const e of await listEntries(bfDir)) {
    const m = LOCK_TEMP_RE.exec(e.name) ?? LOCK_STALE_RE.exec(e.name);
    if (!m || e.kind !== 'regular file') continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    const path = join(bfDir, e.name);
    const info = await lockContent(path);
    // A temp records its writer; a stale lock its dead holder, whose host is the breaker's.
    const known = info !== undefined && typeof info.host === 'string';
    const dead = known
      ? info.host === host && (LOCK_STALE_RE.test(e.name) || info.pid === pid)
      : await oldRegularFile(path, now);
    if (dead && (await isRegularFile(path)))
      await unlink(path).then(
        () => removed.push(path),
        () => undefined,
      );
  }
  return removed;
}

/**
 * A repository may be created in `dir` only when it is missing or empty. Empty means: nothing but
 * temp configs of creators racing this one (their `link()` or ours wins; the loser opens the
 * winner's repository), and a `config` a racing creator has just linked. Dead creators' temp
 * configs are removed first. Anything else is DM_ERR_REPO_NOT_EMPTY, before anything is written.
 */
export async function checkCreatable(dir: string): Promise<void> {
  await removeDeadConfigTemps(dir);
  const entries = await listEntries(dir);
  if (entries.some((e) => e.name === CONFIG_NAME)) return;
  const others = entries.filter((e) => !CONFIG_TEMP_RE.test(e.name));
  if (others.length === 0) return;
  const sample = others
    .slice(0, 3)
    .map((e) => JSON.stringify(e.name))
    .join(', ');
  throw dmError(
    'DM_ERR_REPO_NOT_EMPTY',
    `not a repository (no config) and not empty (${others.length} entr${others.length === 1 ? 'y' : 'ies'}: ` +
      `${sample}${others.length > 3 ? ', …' : ''}): a repository is created only in a missing or empty directory`,
    { file: dir },
  );
}
