/**
 * Plan filters narrow what is read inside allocated data: BitLooker (free clusters, pagefile,
 * exclusions) plugs in `skipRangesFilter(analyzeDisk().skip)`, change maps plug in
 * `changedRangesFilter(ranges)`. The planner asks every filter about each allocated block, in
 * ascending order, so a filter can walk its ranges with a cursor instead of indexing per block.
 */
import { RangeCursor, normalizeRanges } from './ranges.js';
import type { ByteRange } from './ranges.js';

/**
 * What a filter says about one block:
 * - `keep`: read it; `zero` (relative to the block start) is zeroed after reading, before hashing.
 * - `skip`: deliberately not read; restores as zeros (BitLooker, exclusions).
 * - `unchanged`: not read; the point keeps its parent's block (change maps).
 */
export type BlockVerdict =
  | { readonly action: 'keep'; readonly zero?: readonly ByteRange[] }
  | { readonly action: 'skip' }
  | { readonly action: 'unchanged' };

export interface PlanFilter {
  readonly name: string;
  /** Verdict on the block at virtual [offset, offset + length). Called in ascending order. */
  classify(offset: number, length: number): BlockVerdict;
}

export const KEEP: BlockVerdict = Object.freeze({ action: 'keep' });
export const SKIP: BlockVerdict = Object.freeze({ action: 'skip' });
export const UNCHANGED: BlockVerdict = Object.freeze({ action: 'unchanged' });

/** Bytes in `ranges` are not wanted: a block wholly inside is skipped, a partial one zeroed there. */
export function skipRangesFilter(ranges: Iterable<ByteRange>, name = 'skip-ranges'): PlanFilter {
  const cursor = new RangeCursor(normalizeRanges(ranges));
  return {
    name,
    classify(offset, length) {
      const parts = cursor.overlaps(offset, length);
      if (parts.length === 0) return KEEP;
      if (parts.length === 1 && parts[0]!.offset === 0 && parts[0]!.length === length) return SKIP;
      return { action: 'keep', zero: parts };
    },
  };
}

/** Only bytes in `ranges` changed since the parent point: blocks touching none are unchanged. */
export function changedRangesFilter(ranges: Iterable<ByteRange>, name = 'changed-ranges'): PlanFilter {
  const cursor = new RangeCursor(normalizeRanges(ranges));
  return {
    name,
    classify(offset, length) {
      return cursor.overlaps(offset, length).length === 0 ? UNCHANGED : KEEP;
    },
  };
}

/**
 * Combines verdicts: `skip` beats `unchanged` (the newest knowledge: the bytes are not in use now)
 * which beats `keep`; zero ranges of kept blocks are concatenated (overlaps are harmless).
 */
export function combineVerdicts(
  filters: readonly PlanFilter[],
  offset: number,
  length: number,
): BlockVerdict {
  let result: BlockVerdict = KEEP;
  let zero: ByteRange[] | undefined;
  for (const f of filters) {
    const v = f.classify(offset, length);
    if (v.action === 'skip') result = SKIP;
    else if (v.action === 'unchanged' && result.action !== 'skip') result = UNCHANGED;
    else if (v.action === 'keep' && v.zero && v.zero.length > 0) (zero ??= []).push(...v.zero);
  }
  if (result.action !== 'keep' || zero === undefined) return result;
  return { action: 'keep', zero };
}
