/**
 * BitLooker exclusions on one NTFS volume: swap files and user-given guest paths resolved to their
 * files' clusters (unnamed $DATA, holes excluded), with the records that own them.
 */
import { dmError, isDmError } from '../errors.js';
import { checkAborted } from './abort.js';
import { filesBeneath, fileClusters, resolvePath, ROOT_RECORD } from './ntfs/files.js';
import type { ResolvedFile } from './ntfs/files.js';
import type { Mft } from './ntfs/mft.js';
import type { Folder } from './ntfs/upcase.js';
import { coalesce, overlaps } from './ranges.js';
import type { ByteRange } from './ranges.js';

export interface ExclusionTarget {
  readonly path: string;
  /** No warning when it is missing (the default swap files). */
  readonly quiet: boolean;
}

export interface ResolvedExclusion {
  readonly path: string;
  /** Volume cluster ranges, sorted and coalesced. */
  readonly clusters: ByteRange[];
  /** Base records of the excluded files. */
  readonly records: number[];
}

/**
 * Resolves each target. Missing paths, metadata and the root are warnings; clusters overlapping
 * `metadata` throw DM_ERR_NTFS_RUNLIST (the volume is then read whole).
 */
export async function resolveExclusions(
  mft: Mft,
  fold: Folder,
  targets: readonly ExclusionTarget[],
  metadata: readonly ByteRange[],
  warnings: string[],
  signal?: AbortSignal,
): Promise<ResolvedExclusion[]> {
  const out: ResolvedExclusion[] = [];
  for (const t of targets) {
    checkAborted(signal);
    const found = await resolveQuiet(mft, fold, t.path);
    if (!found) {
      if (!t.quiet) warnings.push(`exclusion "${t.path}" not found on this volume`);
      continue;
    }
    if (found.record < 16 || found.record === ROOT_RECORD) {
      warnings.push(`exclusion "${t.path}" names NTFS metadata or the root: not excluded`);
      continue;
    }
    const files = found.isDirectory ? await filesBeneath(mft, found.record) : [found];
    const clusters: ByteRange[] = [];
    for (const f of files) {
      for (const run of (await fileClusters(mft, f.record, f.sequence)).runs)
        clusters.push({ offset: run.lcn, length: run.length });
    }
    const merged = coalesce(clusters);
    if (overlaps(merged, metadata)) {
      throw dmError('DM_ERR_NTFS_RUNLIST', `clusters of "${t.path}" overlap NTFS metadata`, {
        file: mft.geo.source.path,
        field: t.path,
      });
    }
    out.push({ path: t.path, clusters: merged, records: files.map((f) => f.record) });
  }
  return out;
}

async function resolveQuiet(mft: Mft, fold: Folder, path: string): Promise<ResolvedFile | undefined> {
  try {
    return await resolvePath(mft, fold, path);
  } catch (err) {
    if (isDmError(err, 'DM_ERR_NTFS_NOT_FOUND')) return undefined;
    throw err;
  }
}
