/**
 * verify(): the repository health check — every block of every point reads, decrypts and matches
 * its identity (pipeline/verify.ts). Problems are reported, not thrown; `ok` says it all.
 */
import { performance } from 'node:perf_hooks';
import { dmError } from '../errors.js';
import { openRepository } from '../repository/open.js';
import { startDefaultPool } from '../pipeline/parallel-open.js';
import { verifyRepository } from '../pipeline/verify.js';
import type { VerifyReport } from '../pipeline/verify.js';
import type { ProgressListener } from './backup-progress.js';
import { throttledProgress } from './backup-progress.js';

export interface VerifyJobOptions {
  readonly repo: string;
  readonly password?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface VerifyJobResult extends VerifyReport {
  readonly durationMs: number;
  /** Uncompressed bytes checked per second. */
  readonly rateBytesPerSec: number;
}

export async function verify(o: VerifyJobOptions): Promise<VerifyJobResult> {
  if (!o.repo)
    throw dmError('DM_ERR_ARG_INVALID', 'a repository directory is required (--repo)', { field: 'repo' });
  const started = performance.now();
  const progress = throttledProgress('verify', o.onProgress);
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'verify was aborted');
  progress('open', 0, 0);
  startDefaultPool(); // the decode threads boot while the repository opens (scrypt when encrypted)
  const repo = await openRepository(o.repo, o.password !== undefined ? { password: o.password } : {});
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'verify was aborted');
  progress('check', 0, 0);
  const report = await verifyRepository(repo, o.signal ? { signal: o.signal } : {});
  const durationMs = performance.now() - started;
  progress('done', report.bytes, report.bytes);
  return {
    ...report,
    durationMs: Math.round(durationMs),
    rateBytesPerSec: Math.round(report.bytes / Math.max(durationMs / 1000, 1e-6)),
  };
}
