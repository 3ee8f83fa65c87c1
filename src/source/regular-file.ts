/** Opening a disk image file read-only, once for every reader: regular files only, errors named. */
import fs from 'node:fs';
import { dmError, fromSystemError } from '../errors.js';

export interface OpenedFile {
  readonly fd: number;
  readonly stat: fs.Stats;
}

/** Opens `path` read-only and checks it is a regular file; the caller owns (and closes) the fd. */
export function openRegularFile(path: string): OpenedFile {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw fromSystemError(err, 'open', path);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw dmError('DM_ERR_IO_OPEN', 'not a regular file', { file: path });
    return { fd, stat };
  } catch (err) {
    fs.closeSync(fd);
    throw fromSystemError(err, 'open', path);
  }
}
