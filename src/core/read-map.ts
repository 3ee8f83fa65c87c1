/**
 * Read maps: where the bytes of a virtual range live, as positional reads another thread can do
 * itself. The backup's compute threads read their own blocks from these (the bytes are read on the
 * core that hashes and compresses them, with no hand-off through the main thread or libuv's pool).
 *
 * Encoding (one Float64Array, 4 numbers per segment): fd, file offset, length, buffer offset.
 * fd -1 means "fill with zeros". File descriptors are the source's own, open on the main thread
 * (descriptors are process-wide); the source must stay open until every read of the map is done.
 */
export const ZERO_FILL_FD = -1;
export const SEGMENT_FIELDS = 4;

/** Collects segments of one block; adjacent zero fills and contiguous preads are merged. */
export class ReadMapBuilder {
  #parts: number[] = [];

  push(fd: number, fileOffset: number, length: number, bufOffset: number): void {
    if (length <= 0) return;
    const p = this.#parts;
    const n = p.length;
    if (
      n > 0 &&
      p[n - 4] === fd &&
      p[n - 1]! + p[n - 2]! === bufOffset &&
      (fd === ZERO_FILL_FD || p[n - 3]! + p[n - 2]! === fileOffset)
    ) {
      p[n - 2]! += length;
      return;
    }
    p.push(fd, fileOffset, length, bufOffset);
  }

  zero(length: number, bufOffset: number): void {
    this.push(ZERO_FILL_FD, 0, length, bufOffset);
  }

  /** The map so far; the builder starts over. */
  take(): Float64Array {
    const out = Float64Array.from(this.#parts);
    this.#parts = [];
    return out;
  }
}
