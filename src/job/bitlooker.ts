/**
 * BitLooker for one backup (design.md §4, veeam-behaviour.md §4.4): analyse the guest's NTFS
 * volumes once, before the pipeline starts, and turn what is not in use (free clusters,
 * pagefile/hiberfil/swapfile, user exclusions) into one skip filter for the read planner. A block
 * wholly inside the skip ranges is never read; a kept block has those bytes zeroed before hashing.
 * Anything the analysis cannot trust (non-NTFS, invalid, dirty volumes, bytes outside volumes) has
 * no skip ranges, so it is read whole; the reasons come back as warnings for the job result.
 */
import { skipRangesFilter } from '../plan/filters.js';
import type { PlanFilter } from '../plan/filters.js';
import type { DiskSource } from '../source/disk-source.js';
import { DEFAULT_SWAP_EXCLUSION, analyzeDisk } from '../volume/api.js';
import type { DiskAnalysis, SwapExclusion } from '../volume/api.js';

export interface BitLookerOptions {
  /** BitLooker on (the default) or off (`--no-bitlooker`: every allocated block is read whole). */
  readonly enabled: boolean;
  /** Guest paths (files or whole directories) whose clusters are skipped. */
  readonly exclude: readonly string[];
  /** pagefile.sys / hiberfil.sys / swapfile.sys exclusion, each on by default. */
  readonly excludeSwap?: SwapExclusion;
  readonly signal?: AbortSignal;
}

/** One guest volume as the backup result reports it (additive JSON under `bitlooker.volumes`). */
export interface BitLookerVolume {
  readonly partitionIndex: number;
  readonly offset: number;
  readonly length: number;
  readonly kind: 'ntfs' | 'other';
  readonly status: 'ok' | 'dirty' | 'invalid' | 'unsupported';
  readonly clusterSize: number;
  readonly clustersInUse: number;
  /** clustersInUse × clusterSize (0 for volumes that are not NTFS). */
  readonly usedBytes: number;
  /** True when the volume contributed no skip ranges and is read whole. */
  readonly readWhole: boolean;
  readonly excluded: { readonly path: string; readonly bytes: number }[];
}

export interface BitLookerSummary {
  readonly enabled: boolean;
  /** Disk bytes BitLooker leaves out of the backup (not read, or zeroed in a kept block). */
  readonly skippedBytes: number;
  /** Bytes in use on the healthy NTFS volumes (the floor for what must be read there). */
  readonly usedBytes: number;
  readonly excludeSwap: SwapExclusion;
  readonly exclude: readonly string[];
  readonly volumes: BitLookerVolume[];
}

export interface BitLookerPlan {
  readonly filters: PlanFilter[];
  readonly warnings: string[];
  readonly summary: BitLookerSummary;
}

export async function planBitLooker(source: DiskSource, options: BitLookerOptions): Promise<BitLookerPlan> {
  const excludeSwap = options.excludeSwap ?? DEFAULT_SWAP_EXCLUSION;
  const exclude = [...options.exclude];
  if (!options.enabled) {
    const warnings = [
      'BitLooker disabled: every allocated block is read whole (free space, pagefile.sys, hiberfil.sys, swapfile.sys included)',
    ];
    if (exclude.length > 0)
      warnings.push(`BitLooker disabled: --exclude paths are backed up too (${exclude.join(', ')})`);
    return {
      filters: [],
      warnings,
      summary: { enabled: false, skippedBytes: 0, usedBytes: 0, excludeSwap, exclude, volumes: [] },
    };
  }
  const analysis = await analyzeDisk(source, {
    excludeSwap,
    exclude,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    // An empty skip list needs no filter: the planner then takes its no-filter fast path.
    filters: analysis.skip.length > 0 ? [skipRangesFilter(analysis.skip, 'bitlooker')] : [],
    warnings: [...analysis.warnings],
    summary: summarize(analysis, excludeSwap, exclude),
  };
}

function summarize(a: DiskAnalysis, excludeSwap: SwapExclusion, exclude: string[]): BitLookerSummary {
  let skippedBytes = 0;
  for (const r of a.skip) skippedBytes += r.length;
  const volumes = a.volumes.map((v): BitLookerVolume => {
    const ntfs = v.kind === 'ntfs';
    return {
      partitionIndex: v.partitionIndex,
      offset: v.offset,
      length: v.length,
      kind: v.kind,
      status: v.status,
      clusterSize: v.clusterSize,
      clustersInUse: v.clustersInUse,
      usedBytes: ntfs ? v.clustersInUse * v.clusterSize : 0,
      readWhole: v.status !== 'ok',
      excluded: v.excluded.map((e) => ({ path: e.path, bytes: e.bytes })),
    };
  });
  const usedBytes = volumes.filter((v) => !v.readWhole).reduce((s, v) => s + v.usedBytes, 0);
  return { enabled: true, skippedBytes, usedBytes, excludeSwap, exclude, volumes };
}
