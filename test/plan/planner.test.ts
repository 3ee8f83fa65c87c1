import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZES, blockGrid, checkBlockSize } from '../../src/plan/block-grid.js';
import { changedRangesFilter, skipRangesFilter } from '../../src/plan/filters.js';
import { planBlocks, summarizePlan } from '../../src/plan/planner.js';
import type { PlanItem } from '../../src/plan/planner.js';
import type { Extent } from '../../src/source/disk-source.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Per-block kinds from a plan, for comparing against a naive model. */
function expand(items: Iterable<PlanItem>, count: number): string[] {
  const out: string[] = [];
  for (const it of items) {
    if (it.kind === 'read') {
      expect(it.index).toBe(out.length);
      out.push('read');
    } else {
      expect(it.first).toBe(out.length);
      expect(it.count).toBeGreaterThan(0);
      for (let i = 0; i < it.count; i++) out.push(it.kind);
    }
  }
  expect(out.length).toBe(count);
  return out;
}

/** Extents covering [0, size) from a list of (length, kind) pieces, coalesced like a source. */
function extentsOf(pieces: [number, Extent['kind']][], size: number): Extent[] {
  const out: { offset: number; length: number; kind: Extent['kind'] }[] = [];
  let at = 0;
  for (const [len, kind] of pieces) {
    const length = Math.min(len, size - at);
    if (length <= 0) break;
    const last = out.at(-1);
    if (last && last.kind === kind) last.length += length;
    else out.push({ offset: at, length, kind });
    at += length;
  }
  if (at < size) out.push({ offset: at, length: size - at, kind: 'absent' });
  return out;
}

describe('block grid', () => {
  it('accepts the five storage-optimization sizes and nothing else', () => {
    expect(BLOCK_SIZES).toEqual([256 * KiB, 512 * KiB, MiB, 4 * MiB, 8 * MiB]);
    for (const s of BLOCK_SIZES) expect(checkBlockSize(s)).toBe(s);
    for (const bad of [0, 4096, 2 * MiB, 16 * MiB, MiB + 1])
      expect(() => checkBlockSize(bad)).toThrow(expect.objectContaining({ code: 'DM_ERR_ARG_SIZE' }));
  });

  it('has a short last block and maps offsets to indices', () => {
    const g = blockGrid(3 * MiB + 512, MiB);
    expect(g.blockCount).toBe(4);
    expect(g.length(3)).toBe(512);
    expect(g.length(2)).toBe(MiB);
    expect(g.start(3)).toBe(3 * MiB);
    expect(g.indexOf(3 * MiB + 511)).toBe(3);
    expect(g.indexOf(MiB - 1)).toBe(0);
  });

  it('rejects an empty disk', () => {
    expect(() => blockGrid(0)).toThrow(expect.objectContaining({ code: 'DM_ERR_ARG_INVALID' }));
  });
});

describe('read planner', () => {
  it('reads only blocks overlapping present extents; the rest are zero runs without I/O', () => {
    const size = 10 * MiB;
    const extents = extentsOf(
      [
        [2 * MiB + 4096, 'zero'],
        [4096, 'present'], // inside block 2
        [4 * MiB, 'absent'],
        [MiB + 100, 'present'], // blocks 6..7
      ],
      size,
    );
    const items = [...planBlocks(extents, blockGrid(size, MiB))];
    expect(expand(items, 10)).toEqual([
      'zero',
      'zero',
      'read',
      'zero',
      'zero',
      'zero',
      'read',
      'read',
      'zero',
      'zero',
    ]);
    expect(items.filter((i) => i.kind === 'zero')).toEqual([
      { kind: 'zero', first: 0, count: 2 },
      { kind: 'zero', first: 3, count: 3 },
      { kind: 'zero', first: 8, count: 2 },
    ]);
  });

  it('plans a 64 TiB sparse disk as a few items (no per-block arrays)', () => {
    const size = 64 * 1024 * 1024 * MiB;
    const extents: Extent[] = [
      { offset: 0, length: 3 * MiB, kind: 'present' },
      { offset: 3 * MiB, length: size - 4 * MiB, kind: 'absent' },
      { offset: size - MiB, length: MiB, kind: 'present' },
    ];
    const items = [...planBlocks(extents, blockGrid(size, 256 * KiB))];
    expect(items.length).toBe(12 + 1 + 4);
    expect(items[12]).toEqual({ kind: 'zero', first: 12, count: size / (256 * KiB) - 16 });
    const s = summarizePlan(items);
    expect(s.readBytes).toBe(4 * MiB);
  });

  it('skipRangesFilter skips whole blocks and zeroes partial ones', () => {
    const size = 4 * MiB;
    const extents: Extent[] = [{ offset: 0, length: size, kind: 'present' }];
    const filter = skipRangesFilter([
      { offset: MiB, length: MiB }, // block 1 wholly
      { offset: 2 * MiB + 10, length: 20 }, // inside block 2
      { offset: 3 * MiB - 5, length: 10 }, // straddles blocks 2 and 3
    ]);
    const items = [...planBlocks(extents, blockGrid(size, MiB), { filters: [filter] })];
    expect(items).toEqual([
      { kind: 'read', index: 0, offset: 0, length: MiB, zero: undefined },
      { kind: 'skipped', first: 1, count: 1 },
      {
        kind: 'read',
        index: 2,
        offset: 2 * MiB,
        length: MiB,
        zero: [
          { offset: 10, length: 20 },
          { offset: MiB - 5, length: 5 },
        ],
      },
      { kind: 'read', index: 3, offset: 3 * MiB, length: MiB, zero: [{ offset: 0, length: 5 }] },
    ]);
  });

  it('changedRangesFilter marks untouched blocks unchanged; skip wins over unchanged', () => {
    const size = 4 * MiB;
    const extents: Extent[] = [{ offset: 0, length: size, kind: 'present' }];
    const items = [
      ...planBlocks(extents, blockGrid(size, MiB), {
        filters: [
          changedRangesFilter([{ offset: MiB + 1, length: 1 }]),
          skipRangesFilter([{ offset: 3 * MiB, length: MiB }]),
        ],
      }),
    ];
    expect(expand(items, 4)).toEqual(['unchanged', 'read', 'unchanged', 'skipped']);
  });

  it('matches a naive per-block model on random layouts and filters', () => {
    const kind = fc.constantFrom<Extent['kind']>('present', 'zero', 'absent');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 * 256 * KiB }),
        fc.constantFrom(256 * KiB, 512 * KiB, MiB),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3 * MiB }), kind), { maxLength: 12 }),
        fc.array(fc.tuple(fc.nat(12 * MiB), fc.integer({ min: 1, max: 2 * MiB })), { maxLength: 6 }),
        (size, bs, pieces, skips) => {
          const extents = extentsOf(pieces, size);
          const grid = blockGrid(size, bs);
          const skipRanges = skips.map(([offset, length]) => ({ offset, length }));
          const items = [...planBlocks(extents, grid, { filters: [skipRangesFilter(skipRanges)] })];
          const got = expand(items, grid.blockCount);
          // Naive model: per block, present overlap → read unless wholly inside the skip union.
          const covered = (a: number, b: number) => {
            for (let x = a; x < b;) {
              const r = skipRanges.find((s) => s.offset <= x && x < s.offset + s.length);
              if (!r) return false;
              x = r.offset + r.length;
            }
            return true;
          };
          for (let i = 0; i < grid.blockCount; i++) {
            const a = grid.start(i);
            const b = a + grid.length(i);
            const present = extents.some(
              (e) => e.kind === 'present' && e.offset < b && e.offset + e.length > a,
            );
            const want = !present ? 'zero' : covered(a, b) ? 'skipped' : 'read';
            expect(got[i]).toBe(want);
          }
          // Zero ranges inside read blocks lie inside the block and inside a skip range.
          for (const it of items) {
            if (it.kind !== 'read' || !it.zero) continue;
            for (const z of it.zero) {
              expect(z.offset).toBeGreaterThanOrEqual(0);
              expect(z.offset + z.length).toBeLessThanOrEqual(it.length);
              expect(covered(it.offset + z.offset, it.offset + z.offset + z.length)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
