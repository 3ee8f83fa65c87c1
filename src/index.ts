/** Public library API: explicit named exports only. */
export { DmError, ERROR_CATALOG, isDmError, exitCodeFor } from './errors.js';
export type { ErrorCode, WireError } from './errors.js';
export { parseSize, formatSize } from './core/size.js';
export type { DiskSource, Extent, ExtentKind, ImageFormat } from './source/disk-source.js';
export { inspect } from './job/inspect.js';
export type { InspectOptions, InspectResult } from './job/inspect.js';
export { convert } from './job/convert.js';
export type { ConvertJobOptions, ConvertJobResult } from './job/convert.js';
export { runDemo } from './job/demo.js';
export type { DemoOptions, DemoResult, DemoStep } from './job/demo.js';
export { backup } from './job/backup.js';
export type { BackupResult, BackupStats, BackupTask, BackupPointRef } from './job/backup.js';
export type { BackupOptions } from './job/backup-options.js';
export { planBitLooker } from './job/bitlooker.js';
export type { BitLookerOptions, BitLookerPlan, BitLookerSummary, BitLookerVolume } from './job/bitlooker.js';
export type { ProgressEvent, ProgressListener } from './job/backup-progress.js';
export type { Bottleneck, StageName } from './pipeline/stats.js';
export { restore } from './job/restore.js';
export type { RestoreJobOptions, RestoreJobResult } from './job/restore.js';
export { verify } from './job/verify.js';
export type { VerifyJobOptions, VerifyJobResult } from './job/verify.js';
export { points } from './job/points.js';
export type { PointsOptions, PointsResult } from './job/points.js';
export { benchStages } from './job/bench-stages.js';
export type { BenchStagesOptions, BenchStagesResult } from './job/bench-stages.js';
export type { StageResult } from './workers/stage-bench.js';
export { BLOCK_SIZES, DEFAULT_BLOCK_SIZE } from './plan/block-grid.js';
export { skipRangesFilter, changedRangesFilter } from './plan/filters.js';
export type { PlanFilter, BlockVerdict } from './plan/filters.js';
export type { ByteRange } from './plan/ranges.js';
export { generateFixtures, generateDisk, DEFAULT_DISK_SIZE } from './job/fixtures.js';
export type {
  GenerateFixturesOptions,
  FixturesProgress,
  FixturesResult,
  GenerateDiskOptions,
  DiskManifest,
  ManifestFile,
} from './job/fixtures.js';
