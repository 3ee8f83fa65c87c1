/**
 * Segments of a virtual range as a VHDX chain lays them out: bytes in one of the chain's files, or
 * zeros. VhdxLayer's walk emits them; a read collects them (SegmentList) and a read map encodes them.
 */
import type { ReadMapBuilder } from '../../../core/read-map.js';
import type { ImageFile } from './image-file.js';

export interface SegmentSink {
  /** `length` bytes at `fileOffset` of `file` land at `bufOffset`. */
  file(file: ImageFile, fileOffset: number, length: number, bufOffset: number): void;
  /** `length` zero bytes land at `bufOffset`. */
  zero(length: number, bufOffset: number): void;
}

export interface Segment {
  /** Undefined for zeros. */
  readonly file: ImageFile | undefined;
  readonly fileOffset: number;
  readonly length: number;
  readonly bufOffset: number;
}

/** Collects segments in order, merging each into the previous one when they continue it. */
export class SegmentList implements SegmentSink {
  readonly #items: { file: ImageFile | undefined; fileOffset: number; length: number; bufOffset: number }[] =
    [];

  get count(): number {
    return this.#items.length;
  }

  at(i: number): Segment {
    return this.#items[i]!;
  }

  file(file: ImageFile, fileOffset: number, length: number, bufOffset: number): void {
    this.#add(file, fileOffset, length, bufOffset);
  }

  zero(length: number, bufOffset: number): void {
    this.#add(undefined, 0, length, bufOffset);
  }

  #add(file: ImageFile | undefined, fileOffset: number, length: number, bufOffset: number): void {
    if (length <= 0) return;
    const last = this.#items.at(-1);
    if (
      last &&
      last.file === file &&
      last.bufOffset + last.length === bufOffset &&
      (!file || last.fileOffset + last.length === fileOffset)
    ) {
      last.length += length;
      return;
    }
    this.#items.push({ file, fileOffset, length, bufOffset });
  }
}

/** Encodes segments into the read map being built (`into`, set before each walk). */
export class ReadMapSink implements SegmentSink {
  into: ReadMapBuilder | undefined;

  file(file: ImageFile, fileOffset: number, length: number, bufOffset: number): void {
    file.requireInside(fileOffset, length, 'payload');
    this.into!.push(file.fd, fileOffset, length, bufOffset);
  }

  zero(length: number, bufOffset: number): void {
    this.into!.zero(length, bufOffset);
  }
}
