/**
 * Reading a repository whose files may have been replaced by something else: a FIFO (opening it
 * for reading would block forever), a device node, a directory, or a symlink that leads outside
 * the repository. Every repository file is lstat()ed before it is opened, opened with O_NOFOLLOW
 * and O_NONBLOCK, and checked again on the descriptor (fstat) before a byte is read; directories
 * are lstat()ed too, so a symlinked backup file or points/ directory is never followed.
 */
import { constants } from 'node:fs';
import type { Dirent } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { kindOf, type PathKind } from '../core/regular-file.js';
import { dmError, fromSystemError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** What is at `path`, without following a final symlink. */
export async function pathKind(path: string): Promise<PathKind> {
  try {
    return kindOf(await lstat(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw fromSystemError(err, 'read', path);
  }
}

/** The error for a repository file or directory that is the wrong kind of thing: it is damage. */
export function wrongKind(
  path: string,
  kind: PathKind,
  want: string,
  code: ErrorCode = 'DM_ERR_REPO_CORRUPT',
) {
  return dmError(
    code,
    `${want} is a ${kind}, not a ${want.endsWith('directory') ? 'directory' : 'regular file'}`,
    {
      file: path,
    },
  );
}

/** A config is 160 bytes; anything much larger is not one (and is not read into memory). */
export const MAX_CONFIG_BYTES = 64 * 1024;

/**
 * The whole content of a regular file of at most `maxBytes`, or undefined when it does not exist.
 * Anything else at the path (FIFO, device, directory, symlink) throws `code` naming it, without
 * opening it (or, when it was swapped in after the lstat, without reading from it).
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  what: string,
  code: ErrorCode = 'DM_ERR_REPO_CORRUPT',
): Promise<Buffer | undefined> {
  const kind = await pathKind(path);
  if (kind === 'missing') return undefined;
  if (kind !== 'regular file') throw wrongKind(path, kind, what, code);
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') return undefined;
    if (errno === 'ELOOP') throw wrongKind(path, 'symlink', what, code);
    throw fromSystemError(err, 'open', path);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw wrongKind(path, kindOf(st), what, code);
    if (st.size > maxBytes)
      throw dmError('DM_ERR_REPO_FORMAT', `${what} is ${st.size} bytes, more than ${maxBytes}`, {
        file: path,
      });
    const buf = Buffer.alloc(st.size);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await fh.read(buf, done, buf.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } catch (err) {
    throw fromSystemError(err, 'read', path);
  } finally {
    await fh.close();
  }
}

/**
 * Whether the repository directory `path` exists: a real directory → true, nothing there → false,
 * anything else (a symlink even to a directory, a FIFO, a file) → DM_ERR_REPO_CORRUPT naming it.
 */
export async function isRealDir(path: string, what: string): Promise<boolean> {
  const kind = await pathKind(path);
  if (kind === 'missing') return false;
  if (kind !== 'directory') throw wrongKind(path, kind, what);
  return true;
}

/** The entries of a directory with their kinds (none when it does not exist). */
export async function listEntries(dir: string): Promise<{ name: string; kind: PathKind }[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw fromSystemError(err, 'read', dir);
  }
  return entries.map((e) => ({ name: e.name, kind: kindOf(e) }));
}
