/**
 * `--password-file` (backup, restore, verify, points): the password is the file's first line,
 * without its line ending. The file must be a regular file (a symlink to one is fine): it is opened
 * non-blocking, so a FIFO cannot hang the command, and checked on the descriptor; at most
 * MAX_PASSWORD_LINE bytes (+ the line ending) are read, so /dev/zero or a huge file cannot exhaust
 * memory. The password is never echoed anywhere.
 */
import fs from 'node:fs';
import { DmError } from '../index.js';

/** The longest first line accepted, in bytes. */
export const MAX_PASSWORD_LINE = 4096;

const READ_NONBLOCK = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

function kind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(path: string, st: fs.Stats): DmError {
  return new DmError('DM_ERR_IO_NOT_REGULAR', `the password file is ${kind(st)}, not a regular file`, {
    location: { file: path },
  });
}

function openPasswordFile(path: string): number {
  try {
    return fs.openSync(path, READ_NONBLOCK);
  } catch (err) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(path);
    } catch {
      st = undefined;
    }
    if (st && !st.isFile()) throw notRegular(path, st);
    const why = (err as NodeJS.ErrnoException)?.code ?? String(err);
    throw new DmError('DM_ERR_IO_OPEN', `cannot open the password file (${why})`, {
      location: { file: path },
      cause: err,
    });
  }
}

/** The first line of `path` (at most MAX_PASSWORD_LINE + 2 bytes read), or undefined without a path. */
export function readPasswordFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const fd = openPasswordFile(path);
  let bytes: Buffer;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, st);
    // One byte more than a line and its \r\n, so a longer line is seen as such.
    const buf = Buffer.alloc(MAX_PASSWORD_LINE + 3);
    let n = 0;
    while (n < buf.length) {
      const got = fs.readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    bytes = buf.subarray(0, n);
  } catch (err) {
    if (err instanceof DmError) throw err;
    throw new DmError('DM_ERR_IO_READ', 'cannot read the password file', {
      location: { file: path },
      cause: err,
    });
  } finally {
    fs.closeSync(fd);
  }
  let end = bytes.indexOf(0x0a);
  if (end < 0) end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (end > MAX_PASSWORD_LINE)
    throw new DmError(
      'DM_ERR_ARG_INVALID',
      `the password file's first line is longer than ${MAX_PASSWORD_LINE} bytes`,
      { location: { file: path } },
    );
  const first = bytes.subarray(0, end).toString('utf8');
  if (first.length === 0)
    throw new DmError('DM_ERR_ARG_INVALID', 'the password file is empty', { location: { file: path } });
  return first;
}
