/** Shared DiskSource argument checks and extent coalescing (VHDX and raw sources). */
import { dmError } from '../errors.js';
import type { Extent } from './disk-source.js';

/** Throws DM_ERR_SOURCE_RANGE / DM_ERR_ARG_INVALID for reads outside the disk or the buffer. */
export function checkedRange(
  file: string,
  virtualSize: number,
  buf: Uint8Array | undefined,
  offset: number,
  length: number,
  bufOffset: number,
): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > virtualSize
  ) {
    throw dmError(
      'DM_ERR_SOURCE_RANGE',
      `range ${offset}+${length} lies outside the virtual disk of ${virtualSize} bytes`,
      {
        file,
        offset,
      },
    );
  }
  if (buf && (!Number.isSafeInteger(bufOffset) || bufOffset < 0 || bufOffset + length > buf.length)) {
    throw dmError(
      'DM_ERR_ARG_INVALID',
      `buffer of ${buf.length} bytes cannot take ${length} bytes at ${bufOffset}`,
      { file },
    );
  }
}

/** Merges adjacent extents of the same kind. */
export function* coalesce(extents: Iterable<Extent>): Generator<Extent> {
  let cur: Extent | undefined;
  for (const e of extents) {
    if (e.length === 0) continue;
    if (cur && cur.kind === e.kind && cur.offset + cur.length === e.offset) {
      cur = { offset: cur.offset, length: cur.length + e.length, kind: cur.kind };
    } else {
      if (cur) yield cur;
      cur = e;
    }
  }
  if (cur) yield cur;
}
