/**
 * restore(): one disk of one restore point to a raw or VHDX file (by extension), via the
 * repository's restorePoint (bit-exact: every blob is authenticated and re-hashed before its bytes
 * are written; the output appears only when complete).
 */
import { performance } from 'node:perf_hooks';
import { dmError } from '../errors.js';
import { openRepository } from '../repository/open.js';
import { startDefaultPool } from '../pipeline/parallel-open.js';
import { restorePoint } from '../pipeline/restore.js';
import type { RestoreFormat } from '../repository/restore-sink.js';
import type { ProgressListener } from './backup-progress.js';
import { throttledProgress } from './backup-progress.js';
import { checkOutputTarget } from './output-target.js';

export interface RestoreJobOptions {
  readonly repo: string;
  readonly vm: string;
  /** Disk number (default 0). */
  readonly disk?: number;
  /** 'latest' (default) or a point id. */
  readonly point?: string;
  /**
   * Output file; `.vhdx` gives a VHDX, anything else a raw (sparse) image. Refused, before any
   * work: a path inside a repository, a link, directory, device, FIFO or socket
   * (DM_ERR_OUTPUT_REFUSED), an existing file unless `force` (DM_ERR_OUTPUT_EXISTS).
   */
  readonly out: string;
  /** Replace an existing regular file at `out` (CLI --force). Default false. */
  readonly force?: boolean;
  readonly format?: RestoreFormat;
  readonly password?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface RestoreJobResult {
  readonly point: { readonly id: string; readonly vm: string; readonly disk: number; readonly type: string };
  readonly out: string;
  readonly format: RestoreFormat;
  readonly virtualSize: number;
  /** Data bytes written (zero blocks stay holes). */
  readonly bytesWritten: number;
  readonly durationMs: number;
  /** Virtual bytes restored per second. */
  readonly rateBytesPerSec: number;
}

export async function restore(o: RestoreJobOptions): Promise<RestoreJobResult> {
  if (!o.repo)
    throw dmError('DM_ERR_ARG_INVALID', 'a repository directory is required (--repo)', { field: 'repo' });
  if (!o.vm) throw dmError('DM_ERR_ARG_INVALID', 'the VM to restore is required (--vm)', { field: 'vm' });
  if (!o.out) throw dmError('DM_ERR_ARG_INVALID', 'an output file is required (-o)', { field: 'out' });
  const disk = o.disk ?? 0;
  if (!Number.isInteger(disk) || disk < 0)
    throw dmError('DM_ERR_ARG_INVALID', `disk must be a whole number ≥ 0, got ${disk}`, { field: 'disk' });
  const started = performance.now();
  const progress = throttledProgress('restore', o.onProgress);
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'restore was aborted');
  const force = o.force ?? false;
  await checkOutputTarget(o.out, force); // before the repository opens (scrypt) or anything is read
  progress('open', 0, 0);
  startDefaultPool(); // the decode threads boot while the repository opens (scrypt when encrypted)
  const repo = await openRepository(o.repo, o.password !== undefined ? { password: o.password } : {});
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'restore was aborted');
  // restorePoint has no progress hook yet: one event before, one after. It stops on abort.
  progress('write', 0, 0);
  const r = await restorePoint(repo, {
    vm: o.vm,
    disk,
    point: o.point ?? 'latest',
    out: o.out,
    force,
    ...(o.format ? { format: o.format } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const durationMs = performance.now() - started;
  progress('done', r.point.virtualSize, r.point.virtualSize);
  return {
    point: { id: r.point.id, vm: r.point.vm, disk: r.point.disk, type: r.point.type },
    out: r.out,
    format: r.format,
    virtualSize: r.point.virtualSize,
    bytesWritten: r.bytesWritten,
    durationMs: Math.round(durationMs),
    rateBytesPerSec: Math.round(r.point.virtualSize / Math.max(durationMs / 1000, 1e-6)),
  };
}
