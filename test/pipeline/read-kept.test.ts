import { describe, expect, it } from 'vitest';
import { MIN_SKIP, rangesToRead, readKept } from '../../src/pipeline/read-kept.js';
import type { DiskSource } from '../../src/source/disk-source.js';

const KiB = 1024;

/** A source over `bytes` that records every read. */
function recordingSource(bytes: Uint8Array): { source: DiskSource; reads: [number, number][] } {
  const reads: [number, number][] = [];
  const source = {
    async read(buf: Uint8Array, offset: number, length = buf.length - 0, bufOffset = 0) {
      reads.push([offset, length]);
      buf.set(bytes.subarray(offset, offset + length), bufOffset);
    },
    *extents(offset = 0, length = bytes.length - offset) {
      yield { offset, length, kind: 'present' };
    },
  } as unknown as DiskSource;
  return { source, reads };
}

describe('rangesToRead', () => {
  it('reads whole blocks without zero ranges', () => {
    expect(rangesToRead(1024 * KiB, undefined)).toEqual([{ offset: 0, length: 1024 * KiB }]);
  });

  it('skips large zero ranges, reads small ones through, merges overlaps from several filters', () => {
    const parts = rangesToRead(1024 * KiB, [
      { offset: 512 * KiB, length: 256 * KiB },
      { offset: 100 * KiB, length: 4 * KiB }, // small: read through
      { offset: 700 * KiB, length: 200 * KiB }, // overlaps the first
    ]);
    expect(parts).toEqual([
      { offset: 0, length: 512 * KiB },
      { offset: 900 * KiB, length: 124 * KiB },
    ]);
  });

  it('reads nothing when zero ranges cover the block', () => {
    expect(rangesToRead(256 * KiB, [{ offset: 0, length: 256 * KiB }])).toEqual([]);
    expect(rangesToRead(MIN_SKIP, [{ offset: 0, length: MIN_SKIP }])).toEqual([]);
  });
});

describe('readKept', () => {
  it('gives the same bytes as a whole read followed by zeroing, with fewer bytes read', async () => {
    const disk = new Uint8Array(4 * 1024 * KiB).map((_, i) => (i * 7 + 3) & 0xff || 1);
    const zero = [
      { offset: 10 * KiB, length: 2 * KiB },
      { offset: 300 * KiB, length: 400 * KiB },
      { offset: 1000 * KiB, length: 24 * KiB },
    ];
    const item = { kind: 'read' as const, index: 1, offset: 1024 * KiB, length: 1024 * KiB, zero };
    const { source, reads } = recordingSource(disk);
    const buf = new Uint8Array(1024 * KiB).fill(0xaa);
    const n = await readKept(source, buf, item);
    const expected = disk.slice(1024 * KiB, 2048 * KiB);
    for (const z of zero) expected.fill(0, z.offset, z.offset + z.length);
    expect(Buffer.compare(buf, expected)).toBe(0);
    expect(n).toBe(1024 * KiB - 400 * KiB);
    expect(reads).toEqual([
      [1024 * KiB, 300 * KiB],
      [1024 * KiB + 700 * KiB, 324 * KiB],
    ]);
  });

  it('counts only the bytes the source holds: sparse extents inside a block are filled, not read', async () => {
    const disk = new Uint8Array(1024 * KiB).fill(5);
    const source = {
      async read(buf: Uint8Array, offset: number, length: number, bufOffset = 0) {
        buf.set(disk.subarray(offset, offset + length), bufOffset);
      },
      *extents(offset: number, length: number) {
        // [0, 256 KiB) present, [256, 768) absent, [768, 1024) present, clipped to the request.
        const all = [
          { offset: 0, length: 256 * KiB, kind: 'present' },
          { offset: 256 * KiB, length: 512 * KiB, kind: 'absent' },
          { offset: 768 * KiB, length: 256 * KiB, kind: 'present' },
        ];
        for (const e of all) {
          const from = Math.max(offset, e.offset);
          const to = Math.min(offset + length, e.offset + e.length);
          if (to > from) yield { offset: from, length: to - from, kind: e.kind };
        }
      },
    } as unknown as DiskSource;
    const whole = { kind: 'read' as const, index: 0, offset: 0, length: 1024 * KiB, zero: undefined };
    expect(await readKept(source, new Uint8Array(1024 * KiB), whole)).toBe(512 * KiB);
    const zero = [{ offset: 0, length: 128 * KiB }];
    expect(await readKept(source, new Uint8Array(1024 * KiB), { ...whole, zero })).toBe(384 * KiB);
  });
});
