/** The repository layer's API (docs/repository-format.md): open, write points, list, restore, verify. */
export { openRepository } from './open.js';
export type { OpenRepositoryOptions, Repository } from './open.js';
export { openWriter, beginPoint } from './writer.js';
export type { BackupFileWriter } from './writer.js';
export type { PointWriter, BeginPointOptions, CommitStats, WriterKeys } from './point-writer.js';
export { listPoints } from './catalog.js';
export type { PointInfo } from './catalog.js';
export { restorePoint } from './restore.js';
export type { RestoreOptions, RestoreResult } from './restore.js';
export type { RestoreFormat } from './restore-sink.js';
export { verifyRepository } from './verify.js';
export type { VerifyReport, VerifyProblem } from './verify.js';
export { backupFileFor } from './layout.js';
export type { RepoIo, WritableFile } from './io.js';
