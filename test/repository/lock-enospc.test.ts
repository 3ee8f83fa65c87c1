/**
 * ENOSPC while taking the lock (issue 14, item 9): writing the lock's temp file fails, the writer
 * reports DM_ERR_IO_NOSPACE, and the temp file it created is gone at once (it was left behind).
 */
import { readdir } from 'node:fs/promises';
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

const failLockTemp = { on: false };

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const open: typeof real.open = async (...args) => {
    const fh = await real.open(...args);
    if (!failLockTemp.on || !/[/\\]lock\.\d+\.[0-9a-z]+$/.test(String(args[0]))) return fh;
    return new Proxy(fh, {
      get(target, prop, receiver) {
        if (prop === 'writeFile')
          return async () => {
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});

const { openRepository, openWriter } = await import('../../src/repository/index.js');

afterAll(cleanTempDirs);

describe('ENOSPC while locking', () => {
  it('fails with DM_ERR_IO_NOSPACE and leaves no lock temp file', async () => {
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), { create: true });
    await (await openWriter(repo, 'job')).close();
    failLockTemp.on = true;
    try {
      expect(await codeOf(openWriter(repo, 'job'))).toBe('DM_ERR_IO_NOSPACE');
    } finally {
      failLockTemp.on = false;
    }
    expect((await readdir(join(dir, 'repo', 'files', 'job'))).sort()).toEqual(['packs', 'points']);
    await (await openWriter(repo, 'job')).close(); // and the lock is free
  });
});
