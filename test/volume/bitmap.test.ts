import { describe, expect, it } from 'vitest';
import { BitScanner } from '../../src/volume/ntfs/bitmap.js';
import { coalesce, subtract, overlaps, clip } from '../../src/volume/ranges.js';

/** Reference: free runs by testing every bit. */
function naive(bytes: Uint8Array, total: number): number[] {
  const out: number[] = [];
  let start = -1;
  for (let c = 0; c <= total; c++) {
    const used = c === total || (bytes[c >> 3]! >> (c & 7)) & 1;
    if (!used && start < 0) start = c;
    if (used && start >= 0) {
      out.push(start, c - start);
      start = -1;
    }
  }
  return out;
}

function scan(bytes: Uint8Array, total: number, chunk: number, maxRuns?: number) {
  const s = new BitScanner(total, maxRuns);
  for (let pos = 0; pos < bytes.length; pos += chunk) s.feed(bytes.subarray(pos, pos + chunk), pos * 8);
  return s.finish();
}

describe('BitScanner', () => {
  it('matches a bit-by-bit reference on patterned and random bitmaps, any chunking, ignoring padding bits', () => {
    let x = 12345;
    const rnd = (): number => (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    for (const fill of ['random', 'runs', 'sparse'] as const) {
      const bytes = new Uint8Array(3 * 4096 + 100);
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] =
          fill === 'random'
            ? rnd()
            : fill === 'runs'
              ? (i >> 5) % 3 === 0
                ? 0
                : (i >> 6) % 2
                  ? 0xff
                  : 0x0f
              : rnd() < 8
                ? 0xfe
                : 0xff;
      }
      for (const total of [bytes.length * 8, bytes.length * 8 - 5, 1001 * 8 + 3]) {
        const want = naive(bytes, total);
        const free = want.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0);
        for (const chunk of [bytes.length, 8192, 4096, 1024, 8, 12]) {
          const got = scan(bytes, total, chunk);
          expect(got.free).toEqual(want);
          expect(got.freeClusters).toBe(free);
          expect(got.droppedClusters).toBe(0);
        }
      }
    }
  });

  it('bounds the run list by dropping the shortest runs, never adding clusters', () => {
    const bytes = new Uint8Array(1024).fill(0b01010101); // 4096 one-cluster free runs
    bytes.fill(0, 100, 110); // one 80+ cluster run
    const got = scan(bytes, bytes.length * 8, 1024, 64);
    expect(got.free.length / 2).toBeLessThanOrEqual(64);
    const kept = coalesce(
      Array.from({ length: got.free.length / 2 }, (_, i) => ({
        offset: got.free[2 * i]!,
        length: got.free[2 * i + 1]!,
      })),
    );
    const all = naive(bytes, bytes.length * 8);
    const allRanges = Array.from({ length: all.length / 2 }, (_, i) => ({
      offset: all[2 * i]!,
      length: all[2 * i + 1]!,
    }));
    expect(subtract(kept, coalesce(allRanges))).toEqual([]);
    expect(kept.some((r) => r.length >= 80)).toBe(true);
    expect(got.droppedClusters + kept.reduce((n, r) => n + r.length, 0)).toBe(got.freeClusters);
  });
});

describe('range algebra', () => {
  it('coalesces, subtracts, clips and detects overlap', () => {
    const a = coalesce([
      { offset: 10, length: 5 },
      { offset: 0, length: 5 },
      { offset: 5, length: 2 },
      { offset: 30, length: 0 },
    ]);
    expect(a).toEqual([
      { offset: 0, length: 7 },
      { offset: 10, length: 5 },
    ]);
    expect(subtract(a, [{ offset: 3, length: 9 }])).toEqual([
      { offset: 0, length: 3 },
      { offset: 12, length: 3 },
    ]);
    expect(clip(a, 4, 11)).toEqual([
      { offset: 4, length: 3 },
      { offset: 10, length: 1 },
    ]);
    expect(overlaps(a, [{ offset: 7, length: 3 }])).toBe(false);
    expect(overlaps(a, [{ offset: 14, length: 3 }])).toBe(true);
  });
});
