/**
 * convert on a full file system (issue 14, item 8): DM_ERR_IO_NOSPACE, exit 6 from the CLI, no
 * partial output, and no unhandled rejection. The old copy loop left a failed write's promise
 * unobserved while it awaited the next read, so the process crashed in about half the runs: the
 * CLI case loops, and the library case makes the read slow so the write surely fails first.
 *
 * Needs root (a small tmpfs is mounted in a scratch directory); CI runs as root.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImage } from '../../src/source/convert.js';
import type { DiskSource, Extent } from '../../src/source/disk-source.js';
import { isRoot, runCli, scratch, type Scratch } from '../hostile/scratch.js';

const MiB = 1024 * 1024;
const canMount = isRoot;
if (!canMount && process.env.CI === 'true') throw new Error('CI must run this suite as root');

let s: Scratch;
let full: string;
let mounted = false;
let image: string;

beforeAll(async () => {
  if (!canMount) return;
  s = await scratch('dm-enospc-convert-');
  full = join(s.dir, 'full');
  await mkdir(full);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', full], { encoding: 'utf8' });
  expect(m.status, m.stderr).toBe(0);
  mounted = true;
  image = join(s.dir, 'in.raw');
  await writeFile(image, randomBytes(12 * MiB));
});

afterAll(async () => {
  if (mounted) spawnSync('umount', [full]);
  await s?.cleanup();
});

/** A source of `size` non-zero bytes whose reads after the first wait, so a write fails meanwhile. */
function slowSource(size: number): DiskSource {
  return {
    path: join(s.dir, 'slow-source'),
    format: 'raw',
    virtualSize: size,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    async read(buf, offset, length = buf.length, bufOffset = 0) {
      if (offset > 0) await sleep(300);
      buf.fill(0xa5, bufOffset, bufOffset + length);
    },
    *extents(): Iterable<Extent> {
      yield { offset: 0, length: size, kind: 'present' };
    },
    close: async () => undefined,
  };
}

describe.skipIf(!canMount)('convert on a full file system', () => {
  it.each(['raw', 'vhdx'] as const)('CLI to %s: exit 6, DM_ERR_IO_NOSPACE, nothing left (5 runs)', (to) => {
    for (let i = 0; i < 5; i++) {
      const r = runCli(['convert', image, '-o', join(full, `out-${i}.${to}`)]);
      expect([r.status, r.code], r.stderr).toEqual([6, 'DM_ERR_IO_NOSPACE']);
      expect(r.stderr).not.toMatch(/^\s+at /m); // a message, not a crash's stack trace
      expect(readdirSync(full)).toEqual([]);
    }
  });

  it.each(['raw', 'vhdx'] as const)(
    'library to %s: a write failing while the next read is awaited is observed',
    async (to) => {
      const out = join(full, `slow.${to}`);
      await expect(convertImage(slowSource(12 * MiB), out, { to })).rejects.toMatchObject({
        code: 'DM_ERR_IO_NOSPACE',
      });
      expect(readdirSync(full)).toEqual([]);
    },
  );
});
