/**
 * Runs a read map (core/read-map.ts) on this thread: blocking preads into the block buffer and zero
 * fills. Blocking is what a compute thread wants here: the read is a page-cache copy (or a device
 * read) that the next step needs anyway, and no other work on this thread could overlap it.
 */
import fs from 'node:fs';
import { SEGMENT_FIELDS, ZERO_FILL_FD } from '../core/read-map.js';
import { dmError, fromSystemError } from '../errors.js';

/** Fills `buf` per `map`; `paths[fd]` names a descriptor in errors. Returns the bytes read. */
export function executeReadMap(
  map: Float64Array,
  buf: Uint8Array,
  paths: Readonly<Record<number, string>>,
): number {
  let read = 0;
  for (let i = 0; i < map.length; i += SEGMENT_FIELDS) {
    const fd = map[i]!;
    const fileOffset = map[i + 1]!;
    const length = map[i + 2]!;
    const bufOffset = map[i + 3]!;
    if (bufOffset < 0 || bufOffset + length > buf.length)
      throw dmError(
        'DM_ERR_INTERNAL',
        `read map segment ${bufOffset}+${length} exceeds the ${buf.length}-byte buffer`,
      );
    if (fd === ZERO_FILL_FD) {
      buf.fill(0, bufOffset, bufOffset + length);
      continue;
    }
    for (let done = 0; done < length;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, bufOffset + done, length - done, fileOffset + done);
      } catch (err) {
        throw fromSystemError(err, 'read', paths[fd] ?? `fd ${fd}`);
      }
      if (n === 0)
        throw dmError(
          'DM_ERR_SOURCE_TRUNCATED',
          `the file ended at ${fileOffset + done} while reading ${length} bytes at ${fileOffset}: it shrank while open`,
          { file: paths[fd] ?? `fd ${fd}`, offset: fileOffset + done },
        );
      done += n;
    }
    read += length;
  }
  return read;
}
