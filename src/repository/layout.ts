/**
 * Where things live in a local repository directory (docs/repository-format.md §2):
 *   <repo>/config
 *   <repo>/files/<backup file>/lock
 *   <repo>/files/<backup file>/packs/<session id hex>-<seq 8 hex>.pack
 *   <repo>/files/<backup file>/points/<point id hex>.point     (committed; temp names start with '.')
 */
import { join } from 'node:path';
import { dmError } from '../errors.js';
import { fromHex, toHex } from '../format/bytes.js';

export const CONFIG_NAME = 'config';
const BACKUP_FILE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const POINT_FILE_RE = /^([0-9a-f]{16})\.point$/;
const PACK_FILE_RE = /^([0-9a-f]{16})-([0-9a-f]{8})\.pack$/;

/** Backup file names are single path components: a name can never escape the repository. */
export function checkBackupFileName(name: string): string {
  if (!BACKUP_FILE_RE.test(name))
    throw dmError('DM_ERR_ARG_INVALID', `backup file name "${name}" must match ${BACKUP_FILE_RE.source}`, {
      field: 'backupFile',
    });
  return name;
}

/** Whether `name` is a valid backup file name (readers ignore every other entry of `files/`). */
export function isBackupFileName(name: string): boolean {
  return BACKUP_FILE_RE.test(name);
}

/**
 * A job name is its backup file's name (per-job files) or the start of it (per-VM files), so it
 * must already be a valid backup file name: refused, never rewritten. Mapping `..`, `.` or `a/b` to
 * some other name would put a job's points into another job's backup file without a word.
 */
export function checkJobName(job: string): string {
  if (typeof job !== 'string' || !BACKUP_FILE_RE.test(job))
    throw dmError(
      'DM_ERR_ARG_INVALID',
      `job name "${String(job)}" is not usable as a backup file name: it must start with a letter or digit ` +
        `and hold only letters, digits, '.', '_' and '-' (at most 128)`,
      { field: 'job' },
    );
  return job;
}

/**
 * The backup file of a job (per-job file) or of a job's VM (per-VM files: `<job>.<vm>`, where
 * characters of the VM name other than letters, digits, '.', '_' and '-' become '_').
 */
export function backupFileFor(job: string, vm?: string): string {
  checkJobName(job);
  if (vm === undefined) return job;
  return checkBackupFileName(`${job}.${vm.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 128));
}

export const paths = {
  config: (repo: string) => join(repo, CONFIG_NAME),
  files: (repo: string) => join(repo, 'files'),
  backupFile: (repo: string, bf: string) => join(repo, 'files', bf),
  lock: (repo: string, bf: string) => join(repo, 'files', bf, 'lock'),
  packs: (repo: string, bf: string) => join(repo, 'files', bf, 'packs'),
  points: (repo: string, bf: string) => join(repo, 'files', bf, 'points'),
  pack: (repo: string, bf: string, key: string) => join(repo, 'files', bf, 'packs', `${key}.pack`),
  point: (repo: string, bf: string, id: string) => join(repo, 'files', bf, 'points', `${id}.point`),
  tempPoint: (repo: string, bf: string, id: string) =>
    join(repo, 'files', bf, 'points', `.tmp-${id}-${process.pid}`),
};

/** A pack's key is its file name without the extension. */
export function packKey(sessionId: Uint8Array, seq: number): string {
  return `${toHex(sessionId)}-${seq.toString(16).padStart(8, '0')}`;
}

export function parsePackName(name: string): { key: string; sessionId: Uint8Array; seq: number } | undefined {
  const m = PACK_FILE_RE.exec(name);
  if (!m) return undefined;
  return { key: `${m[1]}-${m[2]}`, sessionId: fromHex(m[1]!), seq: parseInt(m[2]!, 16) };
}

/** Point id (hex) of a committed manifest's file name; temp files and strangers give undefined. */
export function parsePointName(name: string): string | undefined {
  return POINT_FILE_RE.exec(name)?.[1];
}
