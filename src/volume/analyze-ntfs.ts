/**
 * BitLooker analysis of one NTFS volume: free clusters from $Bitmap, clusters of excluded files, and
 * the sanity checks that decide whether the volume may contribute skip ranges at all. Nothing is
 * skipped on one source's word when another contradicts it: every in-use MFT record's clusters are
 * checked against the free runs (ntfs/claims.ts), and clusters an excluded file shares with other
 * in-use data are kept.
 */
import type { DiskSource } from '../source/disk-source.js';
import { dmError, isDmError } from '../errors.js';
import { claimVerdict, keepCrossLinked } from './claim-verdict.js';
import { resolveExclusions } from './exclusions.js';
import type { ExclusionTarget } from './exclusions.js';
import { scanFreeClusters } from './ntfs/bitmap.js';
import { checkClaims } from './ntfs/claims.js';
import { ROOT_RECORD } from './ntfs/files.js';
import type { Mft } from './ntfs/mft.js';
import { AttrType } from './ntfs/record.js';
import { loadUpcase, simpleFold } from './ntfs/upcase.js';
import { openNtfsVolume } from './ntfs/volume.js';
import type { Partition } from './partitions/types.js';
import { coalesce, overlaps, totalLength } from './ranges.js';
import type { ByteRange } from './ranges.js';

export type VolumeStatus = 'ok' | 'dirty' | 'invalid' | 'unsupported';

export interface ExcludedFile {
  readonly path: string;
  readonly bytes: number;
  /** Disk byte ranges, sorted and coalesced. */
  readonly extents: ByteRange[];
}

export interface VolumeAnalysis {
  readonly partitionIndex: number;
  readonly offset: number;
  readonly length: number;
  readonly kind: 'ntfs' | 'other';
  readonly status: VolumeStatus;
  readonly clusterSize: number;
  readonly totalClusters: number;
  readonly clustersInUse: number;
  readonly version?: string;
  readonly excluded: ExcludedFile[];
  readonly warnings: string[];
  /** Why the volume is read whole, when an NTFS structure was at fault. */
  readonly error?: { code: string; message: string };
}

export interface SwapExclusion {
  readonly pagefile: boolean;
  readonly hiberfil: boolean;
  readonly swapfile: boolean;
}

export interface NtfsAnalysisOptions {
  readonly excludeSwap: SwapExclusion;
  readonly exclude: readonly string[];
  readonly signal?: AbortSignal;
}

const SWAP_FILES: [keyof SwapExclusion, string][] = [
  ['pagefile', '\\pagefile.sys'],
  ['hiberfil', '\\hiberfil.sys'],
  ['swapfile', '\\swapfile.sys'],
];

/** System files whose unnamed $DATA is metadata the $Bitmap must mark in use. */
const METADATA_RECORDS = [1, 2, 4, 6, 7, 10];

/** Analyses the NTFS volume in `part`; never throws for bad volume contents (read-whole instead). */
export async function analyzeNtfsVolume(
  source: DiskSource,
  part: Partition,
  options: NtfsAnalysisOptions,
): Promise<{ volume: VolumeAnalysis; skip: ByteRange[] }> {
  const base = {
    partitionIndex: part.index,
    offset: part.offset,
    length: part.length,
    kind: 'ntfs' as const,
  };
  const warnings: string[] = [];
  let geometry = { clusterSize: 0, totalClusters: 0, clustersInUse: 0 };
  let version: string | undefined;
  try {
    const vol = await openNtfsVolume(source, part.offset, part.length);
    warnings.push(...vol.warnings);
    const { boot, mft, info } = vol;
    version = `${info.major}.${info.minor}`;
    const scan = await scanFreeClusters(mft);
    geometry = {
      clusterSize: boot.clusterSize,
      totalClusters: boot.totalClusters,
      clustersInUse: boot.totalClusters - scan.freeClusters,
    };
    const readWhole = (status: VolumeStatus, why: string): { volume: VolumeAnalysis; skip: ByteRange[] } => {
      warnings.push(`${why}: volume read whole`);
      return { volume: { ...base, status, ...geometry, version, excluded: [], warnings }, skip: [] };
    };
    if (scan.droppedClusters > 0) {
      warnings.push(
        `$Bitmap very fragmented: ${scan.droppedClusters} free clusters in short runs not skipped`,
      );
    }
    if (info.major !== 3) return readWhole('unsupported', `NTFS version ${version} not supported`);
    if (info.dirty) return readWhole('dirty', 'NTFS volume is marked dirty');

    // Sanity: every metadata cluster must be in use in the $Bitmap, or the bitmap is not trustworthy.
    const free: ByteRange[] = [];
    for (let i = 0; i < scan.free.length; i += 2)
      free.push({ offset: scan.free[i]!, length: scan.free[i + 1]! });
    const metadata = await metadataClusters(mft);
    if (overlaps(free, metadata)) {
      throw dmError('DM_ERR_NTFS_BITMAP', '$Bitmap marks metadata clusters ($MFT, $LogFile, ...) free', {
        file: source.path,
        field: '$Bitmap',
      });
    }

    let fold = await loadUpcase(mft);
    if (!fold) {
      warnings.push('$UpCase unreadable: names compared with simple Unicode case folding');
      fold = simpleFold;
    }
    const targets: ExclusionTarget[] = [
      ...SWAP_FILES.filter(([k]) => options.excludeSwap[k]).map(([, path]) => ({ path, quiet: true })),
      ...options.exclude.map((path) => ({ path, quiet: false })),
    ];
    const exclusions = await resolveExclusions(mft, fold, targets, metadata, warnings, options.signal);

    // Every in-use record's clusters against what would be skipped: one pass over the whole $MFT.
    const claims = await checkClaims(mft, {
      free: scan.free,
      excluded: coalesce(exclusions.flatMap((e) => e.clusters)),
      excludedOwners: new Set(exclusions.flatMap((e) => e.records)),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await claimVerdict(mft, claims, warnings);
    const kept = keepCrossLinked(exclusions, claims, warnings);

    const cs = boot.clusterSize;
    const excluded: ExcludedFile[] = kept.map((e) => ({
      path: e.path,
      bytes: totalLength(e.clusters) * cs,
      extents: e.clusters.map((r) => ({ offset: part.offset + r.offset * cs, length: r.length * cs })),
    }));
    const skip = coalesce([...free, ...kept.flatMap((e) => e.clusters)]).map((r) => ({
      offset: part.offset + r.offset * cs,
      length: r.length * cs,
    }));
    return { volume: { ...base, status: 'ok', ...geometry, version, excluded, warnings }, skip };
  } catch (err) {
    if (isDmError(err, 'DM_ERR_ABORTED')) throw err;
    const code = isDmError(err) ? err.code : 'DM_ERR_INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    warnings.push(`${code}: ${message}: volume read whole`);
    return {
      volume: {
        ...base,
        status: 'invalid',
        ...geometry,
        ...(version ? { version } : {}),
        excluded: [],
        warnings,
        error: { code, message },
      },
      skip: [],
    };
  }
}

/** Cluster ranges of $MFT, system files' data and the root index: sorted, coalesced, always in use. */
async function metadataClusters(mft: Mft): Promise<ByteRange[]> {
  const out: ByteRange[] = [{ offset: 0, length: 1 }];
  for (const r of mft.mftRuns) if (r.lcn >= 0) out.push({ offset: r.lcn, length: r.length });
  for (const rec of [...METADATA_RECORDS, ROOT_RECORD]) {
    const { attributes } = await mft.attributes(rec);
    const s =
      rec === ROOT_RECORD
        ? await mft.stream(attributes, AttrType.indexAllocation, '$I30')
        : await mft.stream(attributes, AttrType.data, '');
    for (const r of s?.runs ?? []) if (r.lcn >= 0) out.push({ offset: r.lcn, length: r.length });
  }
  return coalesce(out);
}
