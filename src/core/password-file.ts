/**
 * `--password-file` (backup, restore, verify, points): the password is the file's first line,
 * without its line ending. The file must be a regular file (a symlink to one is fine); it is opened
 * like every input (regular-file.ts: non-blocking, so a FIFO cannot hang the command, and checked
 * on the descriptor), and at most MAX_PASSWORD_LINE bytes and a line ending are read, so /dev/zero
 * or a huge file cannot exhaust memory. The password is never echoed anywhere.
 */
import fs from 'node:fs';
import { dmError, fromSystemError } from '../errors.js';
import { openRegularFile } from './regular-file.js';

/** The longest first line accepted, in bytes. */
export const MAX_PASSWORD_LINE = 4096;

/** The first line of `path`, or undefined without a path. */
export function readPasswordFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const { fd } = openRegularFile(path, 'password file');
  // One byte more than a line and its \r\n, so a longer line is seen as such.
  const buf = Buffer.alloc(MAX_PASSWORD_LINE + 3);
  let n = 0;
  try {
    while (n < buf.length) {
      const got = fs.readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
  } catch (err) {
    throw fromSystemError(err, 'read', path);
  } finally {
    fs.closeSync(fd);
  }
  const bytes = buf.subarray(0, n);
  let end = bytes.indexOf(0x0a);
  if (end < 0) end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (end > MAX_PASSWORD_LINE)
    throw dmError(
      'DM_ERR_ARG_INVALID',
      `the password file's first line is longer than ${MAX_PASSWORD_LINE} bytes`,
      {
        file: path,
      },
    );
  const first = bytes.subarray(0, end).toString('utf8');
  buf.fill(0);
  if (first.length === 0) throw dmError('DM_ERR_ARG_INVALID', 'the password file is empty', { file: path });
  return first;
}
