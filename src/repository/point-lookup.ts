/**
 * Finding the one point a restore asks for: the latest intact point of a disk (refused while a
 * damaged manifest may be newer), or a point by id read from its own manifest file.
 */
import { dmError } from '../errors.js';
import type { DmError } from '../errors.js';
import { backupFileEntries, damageOf, mustThrow, readManifest, scanPoints } from './catalog.js';
import type { LoadedPoint } from './catalog.js';
import { damageHidingLatest } from './damaged-points.js';
import type { DamagedPoint } from './damaged-points.js';
import type { RepoHandle } from './handle.js';
import { paths, parsePointName } from './layout.js';
import { isRealDir, pathKind, wrongKind } from './safe-fs.js';

/**
 * The latest intact point of vm/disk, for restore. DM_ERR_REPO_POINT_DAMAGED when a damaged
 * manifest may be a newer point of it: the latest is then unknown, and silently restoring an older
 * one would be a lie (an older one is still restored when named by id).
 */
export async function latestIntactPoint(
  repo: RepoHandle,
  vm: string,
  disk: number,
): Promise<LoadedPoint | undefined> {
  const { points, damaged } = await scanPoints(repo);
  const latest = points.filter((p) => p.manifest.vm === vm && p.manifest.disk === disk).at(-1);
  const hiding = damageHidingLatest(damaged, vm, disk, latest?.manifest.createdMs);
  if (hiding.length > 0) {
    const d = hiding[0]!;
    const older = latest ? `; the latest intact one is ${latest.id} (restore it by that id)` : '';
    throw dmError(
      'DM_ERR_REPO_POINT_DAMAGED',
      `the latest point of vm ${vm} disk ${disk} may be damaged: ${d.file} (${d.code}: ${d.message})${older}`,
      { field: 'point' },
    );
  }
  return latest;
}

/**
 * A point named by id is read from its own manifest file, not by loading every manifest: a
 * repository with thousands of points restores one of them in the time of one manifest read. A
 * damaged manifest fails with its code; when the id is in no readable backup file but one cannot
 * be listed safely (a symlink, a FIFO…), that is DM_ERR_REPO_POINT_DAMAGED, not "no such point".
 */
export async function pointById(
  repo: RepoHandle,
  vm: string,
  disk: number,
  id: string,
): Promise<LoadedPoint | undefined> {
  if (parsePointName(`${id}.point`) === undefined) return undefined;
  let unreadable: DamagedPoint | undefined;
  for (const e of await backupFileEntries(repo)) {
    const backupFile = e.name;
    try {
      if (e.kind !== 'directory')
        throw wrongKind(paths.backupFile(repo.dir, backupFile), e.kind, 'backup file directory');
      if (!(await isRealDir(paths.points(repo.dir, backupFile), 'points directory'))) continue;
    } catch (err) {
      if (mustThrow(err)) throw err;
      unreadable ??= damageOf((err as DmError).location?.file ?? backupFile, err as DmError, { backupFile });
      continue;
    }
    if ((await pathKind(paths.point(repo.dir, backupFile, id))) === 'missing') continue;
    const manifest = await readManifest(repo, backupFile, id);
    return manifest.vm === vm && manifest.disk === disk ? { backupFile, id, manifest } : undefined;
  }
  if (unreadable)
    throw dmError(
      'DM_ERR_REPO_POINT_DAMAGED',
      `point ${id} is in no readable backup file, and ${unreadable.file} cannot be read (${unreadable.code}: ${unreadable.message})`,
      { field: 'point' },
    );
  return undefined;
}
