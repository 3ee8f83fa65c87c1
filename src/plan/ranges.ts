/** Byte ranges on the virtual disk, and the one normalisation every filter needs. */

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Sorted, non-empty, non-overlapping, adjacent ranges merged. Input order does not matter. */
export function normalizeRanges(ranges: Iterable<ByteRange>): ByteRange[] {
  const sorted = [...ranges].filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
  const out: { offset: number; length: number }[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    } else out.push({ offset: r.offset, length: r.length });
  }
  return out;
}

/**
 * A cursor over normalized ranges for callers that ask in ascending order (the planner walks the
 * grid once): amortised O(1) per query; a backward query falls back to a binary search.
 */
export class RangeCursor {
  #i = 0;
  #lastOffset = 0;

  constructor(private readonly ranges: readonly ByteRange[]) {}

  /** Parts of [offset, offset + length) covered by the ranges, relative to `offset`. */
  overlaps(offset: number, length: number): ByteRange[] {
    const end = offset + length;
    if (offset < this.#lastOffset) this.#i = this.#firstEndingAfter(offset);
    this.#lastOffset = offset;
    const rs = this.ranges;
    while (this.#i < rs.length && rs[this.#i]!.offset + rs[this.#i]!.length <= offset) this.#i++;
    const out: ByteRange[] = [];
    for (let j = this.#i; j < rs.length && rs[j]!.offset < end; j++) {
      const s = Math.max(rs[j]!.offset, offset);
      const e = Math.min(rs[j]!.offset + rs[j]!.length, end);
      out.push({ offset: s - offset, length: e - s });
    }
    return out;
  }

  #firstEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.ranges[mid]!;
      if (r.offset + r.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
