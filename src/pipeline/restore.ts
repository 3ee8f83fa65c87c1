/**
 * restorePoint: one disk of one restore point to a raw file (sparse) or a VHDX. Bit-exact: every
 * blob is checked (CRC, GCM, identity) before its bytes are written, and the output appears under
 * its name only when everything was written; a damaged point fails with its DM_ERR code.
 * Packs are read in large sequential runs, in pack order, not in disk order: by default on
 * worker threads that do the whole job (restore-parallel.ts), with `threads: 0` on the main thread
 * (repository/restore-main-thread.ts).
 */
import { dmError } from '../errors.js';
import { toHex } from '../format/bytes.js';
import { pointInfo } from '../repository/catalog.js';
import { latestIntactPoint, pointById } from '../repository/point-lookup.js';
import type { LoadedPoint, PointInfo } from '../repository/catalog.js';
import type { RepoHandle } from '../repository/handle.js';
import { choosePool } from './parallel-open.js';
import type { DecodeOptions } from './parallel-open.js';
import { restoreOnMainThread } from '../repository/restore-main-thread.js';
import { restoreOnWorkers } from './restore-parallel.js';
import { checkVhdxSize, openSink } from '../repository/restore-sink.js';
import type { RestoreFormat } from '../repository/restore-sink.js';

export interface RestoreOptions extends DecodeOptions {
  readonly vm: string;
  /** Default 0. */
  readonly disk?: number;
  /** 'latest' (default) or a point id. */
  readonly point?: string;
  readonly out: string;
  /** Default: 'vhdx' when `out` ends in .vhdx, else 'raw'. */
  readonly format?: RestoreFormat;
  /** Also re-hash every block against its identity (as verify does). Default false: CRC / GCM only. */
  readonly rehash?: boolean;
  /**
   * Replace an existing regular file at `out`. Default false: the output appears only where no
   * file was (DM_ERR_OUTPUT_EXISTS otherwise, even for a file that appeared during the restore).
   * Never replaces anything but a regular file.
   */
  readonly force?: boolean;
}

export interface RestoreResult {
  readonly point: PointInfo;
  readonly out: string;
  readonly format: RestoreFormat;
  readonly bytesWritten: number;
}

export async function findPoint(
  repo: RepoHandle,
  vm: string,
  disk: number,
  point: string,
): Promise<LoadedPoint> {
  const found =
    point === 'latest' ? await latestIntactPoint(repo, vm, disk) : await pointById(repo, vm, disk, point);
  if (!found)
    throw dmError('DM_ERR_REPO_POINT_NOT_FOUND', `no restore point ${point} for vm ${vm} disk ${disk}`, {
      field: 'point',
    });
  return found;
}

export async function restorePoint(repo: RepoHandle, opts: RestoreOptions): Promise<RestoreResult> {
  // The threads boot while the manifests load.
  const { pool, owned } = choosePool(opts);
  try {
    const { manifest, backupFile } = await findPoint(repo, opts.vm, opts.disk ?? 0, opts.point ?? 'latest');
    const format = opts.format ?? (opts.out.toLowerCase().endsWith('.vhdx') ? 'vhdx' : 'raw');
    if (format === 'vhdx') checkVhdxSize(manifest.virtualSize, `point ${toHex(manifest.id)}`);
    const sink = await openSink(format, { out: opts.out, force: opts.force ?? false }, manifest.virtualSize);
    const how = { rehash: opts.rehash ?? false, signal: opts.signal };
    try {
      const bytesWritten = pool
        ? await restoreOnWorkers(repo, backupFile, manifest, sink, pool, how)
        : await restoreOnMainThread(repo, backupFile, manifest, sink, how);
      await sink.finish();
      return { point: pointInfo(manifest), out: opts.out, format, bytesWritten };
    } catch (err) {
      await sink.discard();
      throw err;
    }
  } finally {
    if (owned) await pool?.close();
  }
}
