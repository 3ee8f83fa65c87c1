/**
 * The repository layer's API (docs/repository-format.md): open, write points, list. Restore and
 * verify read back through it from src/pipeline/restore.ts and verify.ts, which wire the
 * worker-thread decode.
 */
export { openRepository } from './open.js';
export type { OpenRepositoryOptions, Repository } from './open.js';
export { openWriter, beginPoint } from './writer.js';
export type { BackupFileWriter } from './writer.js';
export type { PointWriter, BeginPointOptions, CommitStats, WriterKeys } from './point-writer.js';
export { listPoints } from './catalog.js';
export type { PointInfo } from './catalog.js';
export type { RestoreFormat } from './restore-sink.js';
export type { VerifyProblem } from './verify-pack.js';
export { backupFileFor } from './layout.js';
export type { RepoIo, WritableFile } from './io.js';
