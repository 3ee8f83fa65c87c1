/**
 * Cross-check of the clusters every in-use MFT record claims against what BitLooker would skip: the
 * $Bitmap's free runs, and the clusters of excluded files. Every non-resident attribute of every
 * in-use record (base or extension, any type, named or not) is decoded; sparse runs claim nothing.
 * Bounded memory: per-record tallies and cross-link lists are capped; totals are always exact.
 */
import type { ByteRange } from '../ranges.js';
import { coalesce } from '../ranges.js';
import type { Mft } from './mft.js';
import { AttrType } from './record.js';
import type { MftRecord } from './record.js';
import { scanMftRecords } from './record-scan.js';
import { decodeRunlist } from './runlist.js';

/** Records tallied one by one (worst first in messages); past this only totals grow. */
const MAX_TALLIED = 1024;
/** Cross-linked ranges kept; past this, exclusions on the volume are dropped altogether. */
const MAX_CROSS_LINKS = 1 << 16;

export interface ClaimInputs {
  /** $Bitmap free runs that would be skipped: [lcn0, len0, lcn1, len1, ...], ascending, disjoint. */
  readonly free: readonly number[];
  /** Cluster ranges of excluded files, sorted and coalesced. */
  readonly excluded: readonly ByteRange[];
  /** Base records whose unnamed $DATA makes up `excluded`. */
  readonly excludedOwners: ReadonlySet<number>;
  readonly signal?: AbortSignal;
}

export interface RecordTally {
  /** Base record (the file), or the record itself when it is not an extension. */
  readonly record: number;
  readonly clusters: number;
}

export interface ClaimReport {
  /** In-use files with clusters the $Bitmap marks free, most clusters first (capped list). */
  readonly freeClaims: RecordTally[];
  readonly freeClaimFiles: number;
  readonly freeClaimClusters: number;
  /** In-use records (by either source) that could not be parsed or decoded (capped list). */
  readonly unreadable: { record: number; message: string }[];
  readonly unreadableCount: number;
  /** Clusters of `excluded` that another attribute or file also claims: sorted, coalesced. */
  readonly crossLinked: ByteRange[];
  /** More cross-links than could be listed: no exclusion on this volume may be trusted. */
  readonly crossLinkOverflow: boolean;
  /** Records in use by header but not by the $MFT $BITMAP, and the reverse (checked as in use). */
  readonly headerOnly: number;
  readonly bitmapOnly: number;
  readonly recordsInUse: number;
}

/** Scans the whole $MFT once. Throws what scanMftRecords throws (the volume is then read whole). */
export async function checkClaims(mft: Mft, inputs: ClaimInputs): Promise<ClaimReport> {
  const { free, excluded, excludedOwners } = inputs;
  const total = mft.boot.totalClusters;
  const where = { file: mft.geo.source.path };
  const freeBy = new Map<number, number>();
  let freeClaimFiles = 0;
  let freeClaimClusters = 0;
  const unreadable: { record: number; message: string }[] = [];
  let unreadableCount = 0;
  let crossLinked: ByteRange[] = [];
  let crossLinkOverflow = false;
  let headerOnly = 0;
  let bitmapOnly = 0;
  let recordsInUse = 0;

  const onFree = (owner: number, n: number): void => {
    freeClaimClusters += n;
    const had = freeBy.get(owner);
    if (had !== undefined) freeBy.set(owner, had + n);
    else {
      freeClaimFiles++;
      if (freeBy.size < MAX_TALLIED) freeBy.set(owner, n);
    }
  };
  const onUnreadable = (record: number, message: string): void => {
    unreadableCount++;
    if (unreadable.length < 16) unreadable.push({ record, message });
  };

  await scanMftRecords(
    mft,
    ({ number, bitmapInUse, record, error }) => {
      recordsInUse++;
      if (!record) {
        onUnreadable(number, error!.message);
        return;
      }
      if (record.inUse && bitmapInUse === false) headerOnly++;
      if (!record.inUse && bitmapInUse === true) bitmapOnly++;
      const owner = record.baseRecord !== 0 ? record.baseRecord : number;
      try {
        forEachRun(record, total, where, (lcn, length, ownData) => {
          const f = intersectFlat(free, lcn, length);
          if (f > 0) onFree(owner, f);
          if (excluded.length === 0 || crossLinkOverflow) return;
          if (ownData && excludedOwners.has(owner)) return;
          const hits = intersectRanges(excluded, lcn, length);
          if (hits.length === 0) return;
          crossLinked.push(...hits);
          if (crossLinked.length > MAX_CROSS_LINKS) {
            crossLinked = coalesce(crossLinked);
            if (crossLinked.length > MAX_CROSS_LINKS / 2) crossLinkOverflow = true;
          }
        });
      } catch (err) {
        onUnreadable(number, err instanceof Error ? err.message : String(err));
      }
    },
    inputs.signal,
  );
  const freeClaims = [...freeBy]
    .map(([record, clusters]) => ({ record, clusters }))
    .sort((a, b) => b.clusters - a.clusters || a.record - b.record);
  return {
    freeClaims,
    freeClaimFiles,
    freeClaimClusters,
    unreadable,
    unreadableCount,
    crossLinked: crossLinkOverflow ? [] : coalesce(crossLinked),
    crossLinkOverflow,
    headerOnly,
    bitmapOnly,
    recordsInUse,
  };
}

/** Real runs of every non-resident attribute; `ownData` marks the unnamed $DATA. Throws on a bad runlist. */
function forEachRun(
  record: MftRecord,
  total: number,
  where: { file: string },
  visit: (lcn: number, length: number, ownData: boolean) => void,
): void {
  for (const a of record.attributes) {
    if (!a.nonResident) continue;
    // `where` is shared: the caller's message names the record (no string built per attribute).
    const runs = decodeRunlist(a.mappingPairs!, a.lowestVcn, a.highestVcn, total, where);
    const ownData = a.type === AttrType.data && a.name === '';
    for (const r of runs) if (r.lcn >= 0) visit(r.lcn, r.length, ownData);
  }
}

/** Clusters of [lcn, lcn + length) inside the flat ascending run list `runs`. */
export function intersectFlat(runs: readonly number[], lcn: number, length: number): number {
  const end = lcn + length;
  // First run ending after lcn.
  let lo = 0;
  let hi = runs.length >>> 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (runs[2 * mid]! + runs[2 * mid + 1]! <= lcn) lo = mid + 1;
    else hi = mid;
  }
  let n = 0;
  for (let i = lo; 2 * i < runs.length && runs[2 * i]! < end; i++) {
    const s = Math.max(lcn, runs[2 * i]!);
    const e = Math.min(end, runs[2 * i]! + runs[2 * i + 1]!);
    if (e > s) n += e - s;
  }
  return n;
}

/** Parts of [lcn, lcn + length) inside sorted disjoint `ranges`. */
export function intersectRanges(ranges: readonly ByteRange[], lcn: number, length: number): ByteRange[] {
  const end = lcn + length;
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]!.offset + ranges[mid]!.length <= lcn) lo = mid + 1;
    else hi = mid;
  }
  const out: ByteRange[] = [];
  for (let i = lo; i < ranges.length && ranges[i]!.offset < end; i++) {
    const s = Math.max(lcn, ranges[i]!.offset);
    const e = Math.min(end, ranges[i]!.offset + ranges[i]!.length);
    if (e > s) out.push({ offset: s, length: e - s });
  }
  return out;
}
