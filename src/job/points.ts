/** points(): every committed restore point, oldest first (id, vm, disk, type, time, sizes). */
import { dmError } from '../errors.js';
import { listPoints } from '../repository/catalog.js';
import type { PointInfo } from '../repository/catalog.js';
import { openRepository } from '../repository/open.js';

export interface PointsOptions {
  readonly repo: string;
  /** Needed for an encrypted repository: manifests are encrypted too. */
  readonly password?: string;
  readonly signal?: AbortSignal;
}

export interface PointsResult {
  readonly points: PointInfo[];
}

export async function points(o: PointsOptions): Promise<PointsResult> {
  if (!o.repo)
    throw dmError('DM_ERR_ARG_INVALID', 'a repository directory is required (--repo)', { field: 'repo' });
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'points was aborted');
  const repo = await openRepository(o.repo, o.password !== undefined ? { password: o.password } : {});
  return { points: await listPoints(repo) };
}
