/** Byte-range algebra on sorted, disjoint lists (the skip list and its inputs). */

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Sorts by offset and merges overlapping or touching ranges; drops empty ones. */
export function coalesce(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
  const out: { offset: number; length: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    } else {
      out.push({ offset: r.offset, length: r.length });
    }
  }
  return out;
}

/** `a` minus `b`; both sorted and disjoint (as `coalesce` returns). */
export function subtract(a: readonly ByteRange[], b: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  let j = 0;
  for (const r of a) {
    let start = r.offset;
    const end = r.offset + r.length;
    while (j < b.length && b[j]!.offset + b[j]!.length <= start) j++;
    let k = j;
    while (k < b.length && b[k]!.offset < end) {
      const cut = b[k]!;
      if (cut.offset > start) out.push({ offset: start, length: cut.offset - start });
      start = Math.max(start, cut.offset + cut.length);
      k++;
    }
    if (start < end) out.push({ offset: start, length: end - start });
  }
  return out;
}

/** Whether any range of sorted disjoint `a` overlaps any of sorted disjoint `b`. */
export function overlaps(a: readonly ByteRange[], b: readonly ByteRange[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x.offset < y.offset + y.length && y.offset < x.offset + x.length) return true;
    if (x.offset + x.length <= y.offset + y.length) i++;
    else j++;
  }
  return false;
}

/** Clips sorted ranges to [start, end). */
export function clip(ranges: readonly ByteRange[], start: number, end: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (const r of ranges) {
    const s = Math.max(r.offset, start);
    const e = Math.min(r.offset + r.length, end);
    if (s < e) out.push({ offset: s, length: e - s });
  }
  return out;
}

export function totalLength(ranges: readonly ByteRange[]): number {
  let n = 0;
  for (const r of ranges) n += r.length;
  return n;
}
