/**
 * The writer fsyncs packs in the background while a backup runs (pack-appender.ts, every 16 MiB).
 * A failure there must not be forgotten just because the commit's own fsync later succeeds: the
 * point must not appear, and the next run must succeed.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeIo } from '../../src/repository/io.js';
import type { RepoIo } from '../../src/repository/io.js';
import { listPoints, openRepository, openWriter } from '../../src/repository/index.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import { backupDisk } from './helpers/backup.js';
import { codeOf } from './helpers/code-of.js';
import { prng } from './helpers/disk.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const BS = 1024 * 1024;

/** Only the first fsync of a pack fails (EIO); every later one succeeds. */
function firstPackSyncFails(): RepoIo & { failed: () => boolean } {
  let failed = false;
  return {
    failed: () => failed,
    async openWrite(path, mode) {
      const inner = await nodeIo.openWrite(path, mode);
      if (!path.includes('pack')) return inner;
      return {
        writev: (buffers, position) => inner.writev(buffers, position),
        async sync() {
          if (!failed) {
            failed = true;
            throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5 });
          }
          return inner.sync();
        },
        truncate: (n) => inner.truncate(n),
        close: () => inner.close(),
      };
    },
  };
}

describe('background pack writeback', () => {
  it('a failed background fsync fails the commit even though the final fsync succeeds', async () => {
    const dir = join(await tempDir('dm-writeback-'), 'repo');
    // 80 MiB of incompressible blocks: more than one writeback step, stored raw.
    const disk = prng(77, 80 * BS);
    const io = firstPackSyncFails();
    const repo = await openRepository(dir, { create: true, io });
    const point = { vm: 'vm', disk: 0, type: 'full' } as const;
    const w = await openWriter(repo, 'job');
    expect(await codeOf(backupDisk((o) => w.beginPoint(o), disk, BS, point))).toBe('DM_ERR_IO_WRITE');
    expect(io.failed()).toBe(true);
    await w.close();

    const again = await openRepository(dir);
    expect(await listPoints(again)).toHaveLength(0);
    const w2 = await openWriter(again, 'job');
    await backupDisk((o) => w2.beginPoint(o), disk, BS, point);
    await w2.close();
    expect(await listPoints(again)).toHaveLength(1);
    expect((await verifyRepository(again)).problems).toEqual([]);
  });
});
