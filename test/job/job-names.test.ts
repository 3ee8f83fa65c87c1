/**
 * Job names (issue 14, item 14): a job name is its backup file's name, so one that is not a valid
 * backup file name is refused (DM_ERR_ARG_INVALID) instead of being rewritten; `..` used to map
 * silently to the default backup file "backup".
 */
import { describe, expect, it } from 'vitest';
import { resolveBackupOptions } from '../../src/job/backup-options.js';
import { backupFileFor, checkJobName } from '../../src/repository/layout.js';

describe('job names', () => {
  it('refuses names that sanitizing would change, including those that mapped to the default', () => {
    for (const job of ['..', '.', '', '...', '/', 'a/b', 'a b', '_x', '-x', 'é', 'x'.repeat(129)]) {
      expect(() => checkJobName(job), job).toThrow(expect.objectContaining({ code: 'DM_ERR_ARG_INVALID' }));
      expect(() => backupFileFor(job), job).toThrow(expect.objectContaining({ code: 'DM_ERR_ARG_INVALID' }));
      expect(() => resolveBackupOptions({ repo: 'r', disk: 'd.img', job }), job).toThrow(
        expect.objectContaining({ code: 'DM_ERR_ARG_INVALID' }),
      );
    }
  });

  it('keeps valid names as they are; per-VM files still clean the VM part', () => {
    for (const job of ['backup', 'Job-1', 'a.b_c', 'x'.repeat(128)]) expect(backupFileFor(job)).toBe(job);
    expect(backupFileFor('job', 'web 01/x')).toBe('job.web_01_x');
    expect(resolveBackupOptions({ repo: 'r', disk: 'd.img' }).job).toBe('backup');
  });

  it('threads and tasks have a range (library callers too)', () => {
    for (const threads of [-1, 257, 100000, 1.5])
      expect(() => resolveBackupOptions({ repo: 'r', disk: 'd.img', threads }), String(threads)).toThrow(
        expect.objectContaining({ code: 'DM_ERR_ARG_INVALID' }),
      );
    for (const tasks of [0, 1025])
      expect(() => resolveBackupOptions({ repo: 'r', disk: 'd.img', tasks }), String(tasks)).toThrow(
        expect.objectContaining({ code: 'DM_ERR_ARG_INVALID' }),
      );
    expect(resolveBackupOptions({ repo: 'r', disk: 'd.img', threads: 256, tasks: 1024 }).threads).toBe(256);
  });
});
