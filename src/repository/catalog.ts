/**
 * Reading committed restore points: manifests are found by name (`<16 hex>.point`; temp files and
 * anything else are ignored), opened (decrypt/CRC) and decoded. `listPoints` is the `points`
 * command's data; it never includes secrets.
 */
import { readFile } from 'node:fs/promises';
import { dmError, fromSystemError, isDmError } from '../errors.js';
import type { DmError } from '../errors.js';
import { toHex } from './format/bytes.js';
import { POINT_MAGIC, POINT_VERSION } from './format/constants.js';
import type { PointType } from './format/constants.js';
import { decodeManifest } from './format/manifest.js';
import type { PointManifest, PointStats } from './format/manifest.js';
import { listDir } from './fs-util.js';
import type { RepoHandle } from './handle.js';
import { paths, parsePointName } from './layout.js';
import { openMetadata } from './metadata.js';

export interface PointInfo {
  readonly id: string;
  readonly backupFile: string;
  readonly vm: string;
  readonly disk: number;
  readonly type: PointType | 'other';
  readonly parent: string | undefined;
  /** ISO 8601 creation time. */
  readonly time: string;
  readonly createdMs: number;
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly changeId: string;
  readonly stats: PointStats;
}

export async function listBackupFiles(repo: RepoHandle): Promise<string[]> {
  return (await listDir(paths.files(repo.dir))).filter((n) => !n.startsWith('.')).sort();
}

export async function listPointIds(repo: RepoHandle, backupFile: string): Promise<string[]> {
  const names = await listDir(paths.points(repo.dir, backupFile));
  return names.map(parsePointName).filter((id): id is string => id !== undefined);
}

export async function readManifest(repo: RepoHandle, backupFile: string, id: string): Promise<PointManifest> {
  const file = paths.point(repo.dir, backupFile, id);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw fromSystemError(err, 'read', file);
  }
  const { plain } = openMetadata(
    new Uint8Array(bytes),
    POINT_MAGIC,
    POINT_VERSION,
    repo.keys,
    file,
    'point manifest',
  );
  const m = decodeManifest(plain, file);
  if (toHex(m.id) !== id || m.backupFile !== backupFile)
    throw dmError('DM_ERR_REPO_CORRUPT', 'point manifest does not belong where it lies (renamed or moved?)', {
      file,
    });
  return m;
}

export function pointInfo(m: PointManifest): PointInfo {
  return {
    id: toHex(m.id),
    backupFile: m.backupFile,
    vm: m.vm,
    disk: m.disk,
    type: m.type,
    parent: m.parent ? toHex(m.parent) : undefined,
    time: new Date(m.createdMs).toISOString(),
    createdMs: m.createdMs,
    virtualSize: m.virtualSize,
    blockSize: m.blockSize,
    changeId: m.changeId,
    stats: { ...m.stats },
  };
}

export interface LoadedPoint {
  readonly backupFile: string;
  readonly id: string;
  readonly manifest: PointManifest;
}

/**
 * Every committed point of the repository (or of one backup file). A manifest that cannot be read
 * goes to `onDamaged` (verify reports it); a missing password or wrong key is always thrown.
 */
export async function loadPoints(
  repo: RepoHandle,
  opts: { backupFile?: string; onDamaged?: (file: string, err: DmError) => void } = {},
): Promise<LoadedPoint[]> {
  const files = opts.backupFile !== undefined ? [opts.backupFile] : await listBackupFiles(repo);
  const out: LoadedPoint[] = [];
  for (const backupFile of files) {
    for (const id of await listPointIds(repo, backupFile)) {
      try {
        out.push({ backupFile, id, manifest: await readManifest(repo, backupFile, id) });
      } catch (err) {
        if (!isDmError(err) || err.code === 'DM_ERR_CRYPTO_PASSWORD_REQUIRED' || !opts.onDamaged) throw err;
        opts.onDamaged(paths.point(repo.dir, backupFile, id), err);
      }
    }
  }
  return out.sort((a, b) => a.manifest.createdMs - b.manifest.createdMs || a.id.localeCompare(b.id));
}

/** The `points` command: every committed point, oldest first. Damaged manifests are skipped. */
export async function listPoints(repo: RepoHandle): Promise<PointInfo[]> {
  return (await loadPoints(repo, { onDamaged: () => undefined })).map((p) => pointInfo(p.manifest));
}
