/**
 * Public library API: explicit named exports only.
 *
 * The job functions load their modules on first call, so a CLI command or a library user pays
 * only for what it runs: Node 20's ESM loader took ~0.5 s of CPU to load the whole graph, on every
 * `datamover` invocation, before any work (`node dist/cli/main.js --version`).
 */
export { DmError, ERROR_CATALOG, isDmError, exitCodeFor } from './errors.js';
export type { ErrorCode, WireError } from './errors.js';

/** `module[name]`, imported on the first call (every job function is async, so the type is the same). */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  const call = async (...args: unknown[]): Promise<unknown> =>
    ((await load())[name] as (...a: unknown[]) => Promise<unknown>)(...args);
  return call as M[K];
}
export { parseSize, formatSize } from './core/size.js';
export { readPasswordFile, MAX_PASSWORD_LINE } from './core/password-file.js';
export type { DiskSource, Extent, ExtentKind, ImageFormat } from './source/disk-source.js';
export type { ImageFormatChoice } from './source/open-image.js';
export const inspect = lazy(() => import('./job/inspect.js'), 'inspect');
export type { InspectOptions, InspectResult } from './job/inspect.js';
export const convert = lazy(() => import('./job/convert.js'), 'convert');
export type { ConvertJobOptions, ConvertJobResult } from './job/convert.js';
export const runDemo = lazy(() => import('./job/demo.js'), 'runDemo');
export type { DemoOptions, DemoResult, DemoStep } from './job/demo.js';
export const backup = lazy(() => import('./job/backup.js'), 'backup');
export { prestartComputeThreads } from './workers/prestart.js';
export { COMPRESSION_LEVELS } from './core/blob.js';
export type { CompressionLevel } from './core/blob.js';
export { tuneProcessForBackups, BACKUP_V8_FLAGS } from './core/v8-tuning.js';
export type { BackupResult, BackupStats, BackupTask, BackupPointRef } from './job/backup.js';
export type { BackupOptions } from './job/backup-options.js';
export { MAX_COMPUTE_THREADS, MAX_TASKS } from './job/limits.js';
export const planBitLooker = lazy(() => import('./job/bitlooker.js'), 'planBitLooker');
export type { BitLookerOptions, BitLookerPlan, BitLookerSummary, BitLookerVolume } from './job/bitlooker.js';
export type { ProgressEvent, ProgressListener } from './job/backup-progress.js';
export type { Bottleneck, StageName } from './pipeline/stats.js';
export const restore = lazy(() => import('./job/restore.js'), 'restore');
export type { RestoreJobOptions, RestoreJobResult } from './job/restore.js';
export const verify = lazy(() => import('./job/verify.js'), 'verify');
export type { VerifyJobOptions, VerifyJobResult } from './job/verify.js';
export const points = lazy(() => import('./job/points.js'), 'points');
export type { PointsOptions, PointsResult } from './job/points.js';
export const benchStages = lazy(() => import('./job/bench-stages.js'), 'benchStages');
export type { BenchStagesOptions, BenchStagesResult } from './job/bench-stages.js';
export type { StageResult } from './workers/stage-bench.js';
export { BLOCK_SIZES, DEFAULT_BLOCK_SIZE } from './plan/block-grid.js';
export { skipRangesFilter, changedRangesFilter } from './plan/filters.js';
export type { PlanFilter, BlockVerdict } from './plan/filters.js';
export type { ByteRange } from './plan/ranges.js';
export const generateFixtures = lazy(() => import('./job/fixtures.js'), 'generateFixtures');
export const generateDisk = lazy(() => import('./job/fixtures.js'), 'generateDisk');
export { DEFAULT_DISK_SIZE } from './fixtures/defaults.js';
export type {
  GenerateFixturesOptions,
  FixturesProgress,
  FixturesResult,
  GenerateDiskOptions,
  DiskManifest,
  ManifestFile,
} from './job/fixtures.js';
