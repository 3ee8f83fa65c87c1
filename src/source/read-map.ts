/**
 * The source side of read maps (core/read-map.ts): a DiskSource's ReadMapper says where a virtual
 * range's bytes live in its files.
 */
import type { ReadMapBuilder } from '../core/read-map.js';
import { dmError } from '../errors.js';

/** A source that can say where its bytes are (DiskSource.readMapper). */
export interface ReadMapper {
  /** Adds the segments of virtual [offset, +length) landing at `bufOffset` of the block buffer. */
  map(offset: number, length: number, bufOffset: number, into: ReadMapBuilder): void;
  /** Path of each descriptor the maps use, for error messages. */
  readonly paths: Readonly<Record<number, string>>;
}

/** Throws DM_ERR_SOURCE_TRUNCATED unless a pread of [fileOffset, +length) lies inside a file of `size`. */
export function requireInFile(path: string, size: number, fileOffset: number, length: number): void {
  if (fileOffset >= 0 && fileOffset + length <= size) return;
  throw dmError(
    'DM_ERR_SOURCE_TRUNCATED',
    `payload at ${fileOffset}+${length} lies past the end of the file (${size} bytes): the image is truncated`,
    { file: path, offset: fileOffset },
  );
}
