/**
 * Opening an input file read-only, for every reader of inputs: regular files only, errors named.
 *
 * The open is non-blocking: a FIFO (or a device that waits for a peer) would otherwise block
 * `open(2)` forever before anything could look at what the path is. The kind is then checked on the
 * descriptor itself (fstat), so the file checked is the file read. O_NONBLOCK has no effect on a
 * regular file's reads. Symlinks are followed: a link to a regular file is a regular file input
 * (snapshots are often links).
 */
import fs from 'node:fs';
import { dmError, fromSystemError } from '../errors.js';

export interface OpenedFile {
  readonly fd: number;
  readonly stat: fs.Stats;
}

/** O_RDONLY | O_NONBLOCK where the platform has it (not on Windows, where FIFOs do not block open). */
const READ_NONBLOCK = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

export type PathKind =
  | 'missing'
  | 'regular file'
  | 'directory'
  | 'symlink'
  | 'FIFO'
  | 'character device'
  | 'block device'
  | 'socket'
  | 'special file';

/** What a file system entry is (from a stat, an lstat or a directory entry). */
export function kindOf(st: fs.Stats | fs.Dirent): PathKind {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'FIFO';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/** What a non-regular file is, for messages: "a FIFO", "a directory". */
export function fileKind(stat: fs.Stats): string {
  return `a ${kindOf(stat)}`;
}

/** DM_ERR_IO_NOT_REGULAR naming `path` and what it is. */
export function notRegular(path: string, stat: fs.Stats, what = 'input'): Error {
  return dmError('DM_ERR_IO_NOT_REGULAR', `the ${what} is ${fileKind(stat)}, not a regular file`, {
    file: path,
  });
}

/** Opens `path` read-only and checks it is a regular file; the caller owns (and closes) the fd. */
export function openRegularFile(path: string, what = 'input'): OpenedFile {
  let fd: number;
  try {
    fd = fs.openSync(path, READ_NONBLOCK);
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException)?.code === 'EISDIR' ||
      (err as NodeJS.ErrnoException)?.code === 'ENXIO'
    ) {
      // EISDIR (some platforms) or ENXIO (a socket, or a FIFO opened for writing): say what it is.
      const st = statOrUndefined(path);
      if (st && !st.isFile()) throw notRegular(path, st, what);
    }
    throw fromSystemError(err, 'open', path);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegular(path, stat, what);
    return { fd, stat };
  } catch (err) {
    fs.closeSync(fd);
    throw fromSystemError(err, 'open', path);
  }
}

function statOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.statSync(path);
  } catch {
    return undefined;
  }
}
