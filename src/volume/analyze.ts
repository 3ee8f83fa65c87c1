/**
 * BitLooker's "what is in use" analysis of a whole disk (design.md §4): the partition table, each
 * NTFS volume's free clusters and excluded files, and the disk byte ranges the read planner may skip.
 * Only healthy NTFS volumes contribute skip ranges; everything else is read whole, with a warning.
 */
import type { DiskSource } from '../source/disk-source.js';
import { isDmError } from '../errors.js';
import { checkAborted } from './abort.js';
import { readDisk } from './bytes.js';
import { analyzeNtfsVolume } from './analyze-ntfs.js';
import type { SwapExclusion, VolumeAnalysis } from './analyze-ntfs.js';
import { isNtfsBootSector, readPartitionTable } from './partitions/read-table.js';
import type { Partition, PartitionScheme } from './partitions/types.js';
import { clip, coalesce, subtract } from './ranges.js';
import type { ByteRange } from './ranges.js';

export type { ExcludedFile, SwapExclusion, VolumeAnalysis, VolumeStatus } from './analyze-ntfs.js';

export interface AnalyzeOptions {
  /** Default: all three excluded (design.md §4). */
  readonly excludeSwap?: SwapExclusion;
  /** Guest paths (`C:\Users\x\tmp`, `\Windows\Temp`); a drive letter is ignored and each path is tried on every NTFS volume. */
  readonly exclude?: readonly string[];
  /** Aborts between volumes and between exclusions with DM_ERR_ABORTED. */
  readonly signal?: AbortSignal;
}

export interface DiskAnalysis {
  readonly scheme: PartitionScheme;
  readonly partitions: Partition[];
  readonly volumes: VolumeAnalysis[];
  /** Disk byte ranges that may be skipped: sorted, disjoint, coalesced. */
  readonly skip: ByteRange[];
  readonly warnings: string[];
}

export const DEFAULT_SWAP_EXCLUSION: SwapExclusion = { pagefile: true, hiberfil: true, swapfile: true };

export async function analyzeDisk(source: DiskSource, options: AnalyzeOptions = {}): Promise<DiskAnalysis> {
  const warnings: string[] = [];
  let table;
  try {
    table = await readPartitionTable(source);
  } catch (err) {
    if (!isDmError(err)) throw err;
    warnings.push(`${err.code}: ${err.message}: disk read whole`);
    return { scheme: 'none', partitions: [], volumes: [], skip: [], warnings };
  }
  warnings.push(...table.warnings);
  if (table.partitions.length === 0) warnings.push('no partitions: disk read whole');
  const overlapping = overlappingPartitions(table.partitions);
  const ntfsOptions = {
    excludeSwap: options.excludeSwap ?? DEFAULT_SWAP_EXCLUSION,
    exclude: options.exclude ?? [],
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const volumes: VolumeAnalysis[] = [];
  let skip: ByteRange[] = [];
  for (const part of table.partitions) {
    checkAborted(options.signal);
    const other = (status: 'unsupported' | 'invalid', why: string): VolumeAnalysis => ({
      partitionIndex: part.index,
      offset: part.offset,
      length: part.length,
      kind: 'other',
      status,
      clusterSize: 0,
      totalClusters: 0,
      clustersInUse: 0,
      excluded: [],
      warnings: [`partition ${part.index}: ${why}: read whole`],
    });
    if (overlapping.has(part.index)) {
      volumes.push(other('invalid', 'overlaps another partition'));
      continue;
    }
    let head: Uint8Array;
    try {
      head = await readDisk(
        source,
        part.offset,
        Math.min(512, part.length),
        'DM_ERR_PART_TABLE',
        'partition start',
      );
    } catch (err) {
      if (!isDmError(err)) throw err;
      volumes.push(other('invalid', err.message));
      continue;
    }
    if (head.length < 512 || !isNtfsBootSector(head)) {
      volumes.push(other('unsupported', `not NTFS (type ${part.type})`));
      continue;
    }
    const r = await analyzeNtfsVolume(source, part, ntfsOptions);
    volumes.push(r.volume);
    // Skip ranges never leave their partition.
    skip = skip.concat(clip(r.skip, part.offset, part.offset + part.length));
  }
  for (const v of volumes)
    warnings.push(
      ...v.warnings.map((w) => (w.startsWith('partition ') ? w : `partition ${v.partitionIndex}: ${w}`)),
    );
  // The tables themselves (MBR, EBRs, GPT copies) are always kept, even if a partition claims them.
  skip = subtract(coalesce(skip), coalesce(table.metadata));
  return { scheme: table.scheme, partitions: table.partitions, volumes, skip, warnings };
}

/** Indexes of partitions that overlap another one (their skip ranges could hide the other's data). */
function overlappingPartitions(parts: readonly Partition[]): Set<number> {
  const bad = new Set<number>();
  const sorted = [...parts].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j]!.offset < sorted[i]!.offset + sorted[i]!.length; j++) {
      bad.add(sorted[i]!.index);
      bad.add(sorted[j]!.index);
    }
  }
  return bad;
}
