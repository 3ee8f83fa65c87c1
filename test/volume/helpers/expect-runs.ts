/** Helpers comparing our cluster extents with ntfs-3g's runlists. */
import { coalesce } from '../../../src/volume/ranges.js';
import type { ByteRange } from '../../../src/volume/ranges.js';

/** Real (non-hole) runs as coalesced cluster ranges. */
export function clusterRanges(runs: readonly { lcn: number; length: number }[]): ByteRange[] {
  return coalesce(runs.filter((r) => r.lcn >= 0).map((r) => ({ offset: r.lcn, length: r.length })));
}

/** Disk byte extents → cluster ranges of a volume at `volOffset`. */
export function extentsToClusters(
  extents: readonly ByteRange[],
  volOffset: number,
  clusterSize: number,
): ByteRange[] {
  return extents.map((e) => ({
    offset: (e.offset - volOffset) / clusterSize,
    length: e.length / clusterSize,
  }));
}
