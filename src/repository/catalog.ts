/**
 * Reading committed restore points: manifests are found by name (`<16 hex>.point`; temp files and
 * anything else are ignored), opened (decrypt/CRC) and decoded. `listPoints` is the `points`
 * command's data; it never includes secrets.
 *
 * Hostile entries are never followed or opened: `files/`, a backup file's directory and its
 * `points/` must be real directories (not symlinks), a point file must be a regular file (a FIFO
 * would block the reader forever). Such entries, and manifests that fail their checks, are damaged
 * points (damaged-points.ts): reported, never trusted, never blocking the other points.
 */
import { lstat } from 'node:fs/promises';
import { dmError, isDmError } from '../errors.js';
import type { DmError } from '../errors.js';
import { toHex } from '../format/bytes.js';
import { ENVELOPE_HEADER_SIZE, MAX_METADATA_BODY, POINT_MAGIC, POINT_VERSION } from '../format/constants.js';
import type { PointType } from '../format/constants.js';
import { decodeManifest } from '../format/manifest.js';
import type { PointManifest, PointStats } from '../format/manifest.js';
import { claimOf } from './damaged-points.js';
import type { DamagedPoint } from './damaged-points.js';
import type { RepoHandle } from './handle.js';
import { isBackupFileName, paths, parsePointName } from './layout.js';
import { openMetadata } from './metadata.js';
import { bareMessage } from './problem.js';
import { isRealDir, listEntries, readRegularFile, wrongKind } from './safe-fs.js';

export type { DamagedPoint, DamagedPointClaim } from './damaged-points.js';

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

/** Backup file names in `files/` that are real directories; DM_ERR_REPO_CORRUPT when `files` is not one. */
export async function backupFileEntries(repo: RepoHandle) {
  if (!(await isRealDir(paths.files(repo.dir), 'files directory'))) return [];
  const entries = (await listEntries(paths.files(repo.dir))).filter((e) => isBackupFileName(e.name));
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function listBackupFiles(repo: RepoHandle): Promise<string[]> {
  return (await backupFileEntries(repo)).filter((e) => e.kind === 'directory').map((e) => e.name);
}

const MAX_MANIFEST_BYTES = ENVELOPE_HEADER_SIZE + MAX_METADATA_BODY;

/** The manifest file's bytes; its backup file and points directories must be real directories. */
async function manifestBytes(repo: RepoHandle, backupFile: string, id: string): Promise<Uint8Array> {
  const file = paths.point(repo.dir, backupFile, id);
  await isRealDir(paths.backupFile(repo.dir, backupFile), 'backup file directory');
  await isRealDir(paths.points(repo.dir, backupFile), 'points directory');
  const bytes = await readRegularFile(file, MAX_MANIFEST_BYTES, 'point manifest');
  if (!bytes) throw dmError('DM_ERR_REPO_POINT_NOT_FOUND', 'point manifest vanished', { file });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodePoint(repo: RepoHandle, backupFile: string, id: string, bytes: Uint8Array): PointManifest {
  const file = paths.point(repo.dir, backupFile, id);
  const { plain } = openMetadata(bytes, POINT_MAGIC, POINT_VERSION, repo.keys, file, 'point manifest');
  const m = decodeManifest(plain, file);
  if (toHex(m.id) !== id || m.backupFile !== backupFile)
    throw dmError('DM_ERR_REPO_CORRUPT', 'point manifest does not belong where it lies (renamed or moved?)', {
      file,
    });
  return m;
}

export async function readManifest(repo: RepoHandle, backupFile: string, id: string): Promise<PointManifest> {
  return decodePoint(repo, backupFile, id, await manifestBytes(repo, backupFile, id));
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

export interface PointScan {
  /** Intact points, oldest first. */
  readonly points: LoadedPoint[];
  readonly damaged: DamagedPoint[];
}

/** Errors that are no damage of a point: the caller's (password) or the run's (abort). */
export function mustThrow(err: unknown): boolean {
  return !isDmError(err) || err.code === 'DM_ERR_CRYPTO_PASSWORD_REQUIRED' || err.code === 'DM_ERR_ABORTED';
}

type OnDamaged = (d: DamagedPoint, err: DmError) => void;

export function damageOf(file: string, err: DmError, more: Partial<DamagedPoint> = {}): DamagedPoint {
  return { ...more, file, code: err.code, message: bareMessage(err, file) };
}

async function modifiedMs(file: string): Promise<number | undefined> {
  return lstat(file).then(
    (st) => Math.floor(st.mtimeMs),
    () => undefined,
  );
}

async function scanBackupFile(
  repo: RepoHandle,
  backupFile: string,
  out: LoadedPoint[],
  onDamaged: OnDamaged,
) {
  const dir = paths.points(repo.dir, backupFile);
  try {
    if (!(await isRealDir(paths.backupFile(repo.dir, backupFile), 'backup file directory'))) return;
    if (!(await isRealDir(dir, 'points directory'))) return;
  } catch (err) {
    if (mustThrow(err)) throw err;
    onDamaged(
      damageOf((err as DmError).location?.file ?? dir, err as DmError, { backupFile }),
      err as DmError,
    );
    return;
  }
  for (const e of await listEntries(dir)) {
    const id = parsePointName(e.name);
    if (id === undefined) continue;
    const file = paths.point(repo.dir, backupFile, id);
    let bytes: Uint8Array | undefined;
    try {
      if (e.kind !== 'regular file') throw wrongKind(file, e.kind, 'point manifest');
      const read = await readRegularFile(file, MAX_MANIFEST_BYTES, 'point manifest');
      if (!read) continue; // deleted since the listing
      bytes = new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
      out.push({ backupFile, id, manifest: decodePoint(repo, backupFile, id, bytes) });
    } catch (err) {
      if (mustThrow(err)) throw err;
      const claimed = bytes && claimOf(bytes, repo.keys, id, backupFile);
      const mtime = await modifiedMs(file); // lstat: of the entry itself, whatever it is
      const more = {
        id,
        backupFile,
        ...(mtime !== undefined ? { modifiedMs: mtime } : {}),
        ...(claimed ? { claimed } : {}),
      };
      onDamaged(damageOf(file, err as DmError, more), err as DmError);
    }
  }
}

async function scan(
  repo: RepoHandle,
  backupFile: string | undefined,
  onDamaged: OnDamaged,
): Promise<LoadedPoint[]> {
  const out: LoadedPoint[] = [];
  let files: string[];
  if (backupFile !== undefined) files = [backupFile];
  else {
    let entries;
    try {
      entries = await backupFileEntries(repo);
    } catch (err) {
      if (mustThrow(err)) throw err;
      onDamaged(damageOf(paths.files(repo.dir), err as DmError), err as DmError);
      return [];
    }
    for (const e of entries)
      if (e.kind !== 'directory') {
        const err = wrongKind(paths.backupFile(repo.dir, e.name), e.kind, 'backup file directory');
        onDamaged(damageOf(paths.backupFile(repo.dir, e.name), err, { backupFile: e.name }), err);
      }
    files = entries.filter((e) => e.kind === 'directory').map((e) => e.name);
  }
  for (const bf of files) await scanBackupFile(repo, bf, out, onDamaged);
  return out.sort((a, b) => a.manifest.createdMs - b.manifest.createdMs || a.id.localeCompare(b.id));
}

/**
 * Every intact point of the repository (or of one backup file), oldest first, and every damaged
 * one. Only a missing password is thrown: damage never stops the scan.
 */
export async function scanPoints(repo: RepoHandle, opts: { backupFile?: string } = {}): Promise<PointScan> {
  const damaged: DamagedPoint[] = [];
  const points = await scan(repo, opts.backupFile, (d) => damaged.push(d));
  return { points, damaged };
}

/**
 * Every committed point (as scanPoints). A damaged one goes to `onDamaged` (its file and error);
 * without `onDamaged` the first damage is thrown.
 */
export async function loadPoints(
  repo: RepoHandle,
  opts: { backupFile?: string; onDamaged?: (file: string, err: DmError) => void } = {},
): Promise<LoadedPoint[]> {
  return scan(repo, opts.backupFile, (d, err) => {
    if (!opts.onDamaged) throw err;
    opts.onDamaged(d.file, err);
  });
}

/** The `points` command: every intact point, oldest first. Damaged manifests are skipped. */
export async function listPoints(repo: RepoHandle): Promise<PointInfo[]> {
  return (await scanPoints(repo)).points.map((p) => pointInfo(p.manifest));
}

/** Every intact point, oldest first, and every damaged one. */
export async function listPointsAndDamage(
  repo: RepoHandle,
): Promise<{ points: PointInfo[]; damaged: DamagedPoint[] }> {
  const { points, damaged } = await scanPoints(repo);
  return { points: points.map((p) => pointInfo(p.manifest)), damaged };
}
