/**
 * Backup options, validated once at the boundary: `resolveBackupOptions` turns what a caller (the
 * CLI or a library user) passed into a fully typed ResolvedBackup, or throws DM_ERR_ARG_* naming
 * the option. Nothing past this file re-checks an option.
 */
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import { COMPRESSION_LEVELS } from '../core/blob.js';
import type { CompressionLevel } from '../core/blob.js';
import { parseSize } from '../core/size.js';
import { dmError } from '../errors.js';
import type { HashPlacement } from '../pipeline/hash-placement.js';
import type { PipelineTuning } from '../pipeline/run-pipeline.js';
import { nativeFor } from '../workers/native-fit.js';
import { MAX_COMPUTE_THREADS, MAX_TASKS } from './limits.js';
import { checkJobName } from '../repository/layout.js';
import { IMAGE_FORMAT_CHOICES, type ImageFormatChoice } from '../source/open-image.js';
import { DEFAULT_BLOCK_SIZE, checkBlockSize } from '../plan/block-grid.js';
import type { PlanFilter } from '../plan/filters.js';
import { DEFAULT_SWAP_EXCLUSION } from '../volume/api.js';
import type { SwapExclusion } from '../volume/api.js';
import type { ProgressListener } from './backup-progress.js';

export interface BackupOptions {
  /** Repository directory; created when missing (encrypted when `password` is given). */
  readonly repo: string;
  /** `--disk` mode: one disk image of one VM. */
  readonly disk?: string;
  /**
   * How to read `disk`: 'auto' (default) by content, refusing a damaged or mislabelled VHDX with
   * DM_ERR_VHDX_SIGNATURE; 'raw' reads it as a raw disk whatever it holds; 'vhdx' only as VHDX.
   */
  readonly format?: ImageFormatChoice;
  /** `--infra` mode (a later issue): refused for now. */
  readonly infra?: string;
  /**
   * Job name; in `--disk` mode it names the backup file (default 'backup'), so it must be one:
   * a letter or digit, then letters, digits, '.', '_' or '-', 128 at most (else DM_ERR_ARG_INVALID).
   */
  readonly job?: string;
  /** VM name (default: the image file name without extension). */
  readonly vm?: string;
  /** Change map (a later issue): refused for now. */
  readonly changes?: string;
  /** BitLooker on (default): free NTFS clusters and excluded files are not read (job/bitlooker.ts). */
  readonly bitlooker?: boolean;
  /** Guest paths (files or whole directories) to exclude; applied by BitLooker. */
  readonly exclude?: readonly string[];
  /** pagefile.sys / hiberfil.sys / swapfile.sys exclusion: each on unless set to false. */
  readonly excludeSwap?: Partial<SwapExclusion>;
  /** 256KiB, 512KiB, 1MiB (default), 4MiB, 8MiB; a size string or bytes. */
  readonly blockSize?: number | string;
  readonly compression?: CompressionLevel;
  /** Repository password; never logged or returned. */
  readonly password?: string;
  /** Per-VM backup files: dedup scope and writer per VM instead of per job. */
  readonly perVm?: boolean;
  /** Force a full point even when an earlier one exists. */
  readonly full?: boolean;
  /** Max concurrent tasks (one task per disk), 1 to MAX_TASKS; `--disk` mode runs one task. */
  readonly tasks?: number;
  /**
   * Compute threads (the native engine's or workers), 0 to MAX_COMPUTE_THREADS (256); 0 runs
   * compute inline on the main thread.
   */
  readonly threads?: number;
  /**
   * Read-plan narrowing (the BitLooker / change-map hook): e.g. `skipRangesFilter(analyzeDisk(..).skip)`.
   * Applied after the allocation map, in order; see plan/filters.ts.
   */
  readonly filters?: readonly PlanFilter[];
  /** Pipeline knobs (benchmarks); defaults below. */
  readonly tuning?: Partial<PipelineTuning>;
  /** scrypt cost (log2 N) for a repository this backup creates; tests use less. */
  readonly kdfCost?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface ResolvedBackup {
  readonly repo: string;
  readonly image: string;
  readonly format: ImageFormatChoice;
  readonly job: string;
  readonly vm: string;
  readonly diskIndex: number;
  readonly blockSize: number;
  readonly compression: CompressionLevel;
  readonly password: string | undefined;
  readonly perVm: boolean;
  readonly full: boolean;
  readonly tasks: number;
  readonly threads: number;
  readonly tuning: PipelineTuning;
  readonly filters: readonly PlanFilter[];
  readonly bitlooker: boolean;
  readonly exclude: readonly string[];
  readonly excludeSwap: SwapExclusion;
  readonly kdfCost: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ProgressListener | undefined;
}

/**
 * Pipeline defaults (reasons in docs/decisions.md, "Data path" and "Build and start-up"; figures in
 * docs/benchmarks.md, history `backup-options` and `backup-raw-pipeline`):
 * - batchSize 4 on worker threads: one message per 4 blocks keeps the messaging cost small, yet
 *   batches are small enough that both threads stay fed. 2 on the native engine
 *   (NATIVE_BATCH_BLOCKS): a call costs microseconds, not a message, and the smaller ring stays in
 *   cache; other sizes measured slower.
 * - maxInFlight = 2 × threads: one batch running and one queued per thread, so a thread never
 *   waits for the main thread.
 * - readAhead 2 blocks, writeSlack 2: the ring is (maxInFlight + 1) × batchSize + readAhead +
 *   readConcurrency + writeSlack buffers, and every buffer is memory the process first-touches,
 *   which is costly on the build VM; a smaller ring measured faster.
 * - hashPlacement 'auto': fused while duplicates are rare, hash-first while they are common
 *   (pipeline/hash-placement.ts).
 * - readIo 'async': sync preads measured the same; async keeps the main thread free for dispatch
 *   when the source is slow (not in the page cache).
 */
const NATIVE_BATCH_BLOCKS = 2;

function defaultTuning(threads: number, native: boolean): PipelineTuning {
  return {
    batchSize: native ? NATIVE_BATCH_BLOCKS : 4,
    maxInFlight: 2 * Math.max(1, threads),
    readAhead: 2,
    writeSlack: 2,
    hashPlacement: 'auto',
    readIo: 'async',
  };
}

const HASH_PLACEMENTS: readonly HashPlacement[] = ['auto', 'fused', 'main', 'pool'];

function bad(field: string, message: string): never {
  throw dmError('DM_ERR_ARG_INVALID', message, { field });
}

function positiveInt(v: unknown, field: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    bad(
      field,
      max === Number.MAX_SAFE_INTEGER
        ? `${field} must be a whole number ≥ ${min}, got ${String(v)}`
        : `${field} must be a whole number from ${min} to ${max}, got ${String(v)}`,
    );
  return v;
}

export function resolveBackupOptions(o: BackupOptions): ResolvedBackup {
  if (typeof o.repo !== 'string' || o.repo.length === 0)
    bad('repo', 'a repository directory is required (--repo)');
  if (o.infra !== undefined)
    bad('infra', '--infra (infrastructure jobs) is not built yet: back up one image with --disk IMAGE');
  if (o.disk === undefined || o.disk.length === 0)
    bad('disk', 'give the disk image to back up (--disk IMAGE)');
  if (o.changes !== undefined)
    bad('changes', '--changes (change-map incrementals) is not built yet: omit it for a full read');
  const exclude = o.exclude ?? [];
  for (const p of exclude)
    if (typeof p !== 'string' || p.length === 0) bad('exclude', 'an --exclude path must not be empty');
  const compression = o.compression ?? 'optimal'; // design.md §4: Veeam's default level (LZ4)
  if (!COMPRESSION_LEVELS.includes(compression))
    bad(
      'compression',
      `compression must be one of ${COMPRESSION_LEVELS.join(', ')}, got ${String(compression)}`,
    );
  const blockSize = checkBlockSize(
    o.blockSize === undefined ? DEFAULT_BLOCK_SIZE : parseSize(o.blockSize, 'block size'),
  );
  const vm = o.vm ?? (basename(o.disk, extname(o.disk)) || 'vm');
  if (vm.length === 0 || Buffer.byteLength(vm) > 1024) bad('vm', 'vm name must be 1 to 1024 bytes');
  const job = checkJobName(o.job ?? 'backup');
  const format = o.format ?? 'auto';
  if (!IMAGE_FORMAT_CHOICES.includes(format))
    bad(
      'format',
      `the image format must be one of ${IMAGE_FORMAT_CHOICES.join(', ')}, got ${String(format)}`,
    );
  if (o.password !== undefined && o.password.length === 0) bad('password', 'the password must not be empty');
  // Two threads per core would only add contention: the main thread reads and writes as well.
  const threads =
    o.threads === undefined
      ? Math.min(availableParallelism(), MAX_COMPUTE_THREADS)
      : positiveInt(o.threads, 'threads', 0, MAX_COMPUTE_THREADS);
  const engine = o.tuning?.engine ?? 'auto';
  if (!['auto', 'native', 'workers'].includes(engine))
    bad('tuning.engine', "the engine must be 'auto', 'native' or 'workers'");
  // Decided once, here: a forced 'native' that cannot run is refused before anything starts.
  const native = threads > 0 && nativeFor(engine, compression, threads) !== undefined;
  const tuning = { ...defaultTuning(threads, native), ...(o.tuning ?? {}) };
  positiveInt(tuning.batchSize, 'tuning.batchSize');
  positiveInt(tuning.maxInFlight, 'tuning.maxInFlight');
  positiveInt(tuning.readAhead, 'tuning.readAhead');
  positiveInt(tuning.writeSlack, 'tuning.writeSlack', 0);
  if (tuning.readIo !== 'async' && tuning.readIo !== 'sync')
    bad('tuning.readIo', "read I/O must be 'async' or 'sync'");
  if (tuning.readIn !== undefined && tuning.readIn !== 'workers' && tuning.readIn !== 'main')
    bad('tuning.readIn', "reads must be done in 'workers' or 'main'");
  if (!HASH_PLACEMENTS.includes(tuning.hashPlacement))
    bad('tuning.hashPlacement', `hash placement must be one of ${HASH_PLACEMENTS.join(', ')}`);
  return {
    repo: o.repo,
    image: o.disk,
    format,
    job,
    vm,
    diskIndex: 0,
    blockSize,
    compression,
    password: o.password,
    perVm: o.perVm ?? false,
    full: o.full ?? false,
    tasks: o.tasks === undefined ? 1 : positiveInt(o.tasks, 'tasks', 1, MAX_TASKS),
    threads,
    tuning,
    filters: o.filters ?? [],
    bitlooker: o.bitlooker ?? true,
    exclude,
    excludeSwap: {
      pagefile: o.excludeSwap?.pagefile ?? DEFAULT_SWAP_EXCLUSION.pagefile,
      hiberfil: o.excludeSwap?.hiberfil ?? DEFAULT_SWAP_EXCLUSION.hiberfil,
      swapfile: o.excludeSwap?.swapfile ?? DEFAULT_SWAP_EXCLUSION.swapfile,
    },
    kdfCost: o.kdfCost,
    signal: o.signal,
    onProgress: o.onProgress,
  };
}
