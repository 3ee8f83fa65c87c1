/**
 * The source side of read maps (core/read-map.ts): a DiskSource's ReadMapper says where a virtual
 * range's bytes live in its files.
 */
import type { ReadMapBuilder } from '../core/read-map.js';

/** A source that can say where its bytes are (DiskSource.readMapper). */
export interface ReadMapper {
  /** Adds the segments of virtual [offset, +length) landing at `bufOffset` of the block buffer. */
  map(offset: number, length: number, bufOffset: number, into: ReadMapBuilder): void;
  /** Path of each descriptor the maps use, for error messages. */
  readonly paths: Readonly<Record<number, string>>;
}
