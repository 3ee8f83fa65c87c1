/**
 * points(): every intact restore point, oldest first (id, vm, disk, type, time, sizes), and every
 * damaged one (id, backup file, file, error code and message, repair advice): a damaged point is
 * listed as damaged, never hidden, so an older point is never shown as the latest by omission.
 */
import { dmError } from '../errors.js';
import { listPointsAndDamage } from '../repository/catalog.js';
import type { DamagedPoint, PointInfo } from '../repository/catalog.js';
import { repairAdvice } from '../repository/damaged-points.js';
import { openRepository } from '../repository/open.js';

export interface PointsOptions {
  readonly repo: string;
  /** Needed for an encrypted repository: manifests are encrypted too. */
  readonly password?: string;
  readonly signal?: AbortSignal;
}

export interface DamagedPointReport extends DamagedPoint {
  readonly repair: string;
}

export interface PointsResult {
  readonly points: PointInfo[];
  /** Points whose manifest cannot be read (or is not a regular file): they cannot be restored. */
  readonly damaged: DamagedPointReport[];
}

export async function points(o: PointsOptions): Promise<PointsResult> {
  if (!o.repo)
    throw dmError('DM_ERR_ARG_INVALID', 'a repository directory is required (--repo)', { field: 'repo' });
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'points was aborted');
  const repo = await openRepository(o.repo, o.password !== undefined ? { password: o.password } : {});
  const { points: list, damaged } = await listPointsAndDamage(repo);
  return { points: list, damaged: damaged.map((d) => ({ ...d, repair: repairAdvice(d) })) };
}
