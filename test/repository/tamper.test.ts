/**
 * Every flipped bit in any repository file is detected by verify and by restore (design.md §6):
 * the config, each pack (header, frame headers, payloads) and each manifest (header and body),
 * with and without encryption. A restore either fails with a DM_ERR code or is bit-exact; it never
 * writes wrong data, and a failed restore leaves no output file.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import { openRepository } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import type { DecodeOptions } from '../../src/pipeline/parallel-open.js';
import { DECODE_MODES, closeSharedPool } from './helpers/decode-modes.js';
import { prng } from './helpers/disk.js';
import { buildFixtureRepo, copyRepo, fileSize, flipBit, repoFiles } from './helpers/fixture-repo.js';
import type { FixtureRepo } from './helpers/fixture-repo.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(async () => {
  await closeSharedPool();
  await cleanTempDirs();
});

/** Offsets to damage in a file: its header bytes plus seeded random positions across the file. */
function offsetsFor(name: string, size: number, seed: number): number[] {
  const head = name.endsWith('.pack') ? [0, 9, 20, 40, 79, 80, 100, 150] : [0, 9, 20, 40, 79];
  const rnd = prng(seed, 24);
  const random = Array.from({ length: 6 }, (_, i) => rnd.readUInt32LE(i * 4) % size);
  return [...new Set([...head.filter((o) => o < size), ...random, size - 1])];
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

async function damagedCase(
  fx: FixtureRepo,
  file: string,
  offset: number,
  bit: number,
  decode: DecodeOptions,
) {
  const dir = await tempDir('dm-tamper-');
  const repoDir = join(dir, 'repo');
  await copyRepo(fx.dir, repoDir);
  await flipBit(join(repoDir, file), offset, bit);
  const where = `${file} @${offset} bit ${bit}`;
  let repo;
  try {
    repo = await openRepository(repoDir, fx.password ? { password: fx.password } : {});
  } catch (err) {
    // Only the config is read at open; damage there must be caught right here.
    expect(file, where).toBe('config');
    expect(isDmError(err), where).toBe(true);
    return;
  }
  const report = await verifyRepository(repo, decode);
  expect(report.ok, where).toBe(false);
  expect(report.problems.length, where).toBeGreaterThan(0);
  let failures = 0;
  for (const [i, p] of fx.points.entries()) {
    const out = join(dir, `p${i}.raw`);
    try {
      await restorePoint(repo, { vm: 'vm1', point: p.info.id, out, ...decode });
      expect((await readFile(out)).equals(p.disk), where).toBe(true);
    } catch (err) {
      failures++;
      expect(isDmError(err), `${where}: ${String(err)}`).toBe(true);
      expect(await exists(out), where).toBe(false);
    }
  }
  if (file !== 'config') expect(failures, where).toBeGreaterThan(0);
}

describe.each(
  [
    { name: 'plain', password: undefined },
    { name: 'encrypted', password: 'tamper-test-pw' },
  ].flatMap((c) => DECODE_MODES.map((m) => ({ ...c, ...m }))),
)('tampering ($name, $mode)', ({ password, decode }) => {
  let fx: FixtureRepo;
  let files: string[];

  beforeAll(async () => {
    fx = await buildFixtureRepo(join(await tempDir('dm-fixture-'), 'repo'), password);
    files = await repoFiles(fx.dir);
  });

  it('has a config, several packs and two manifests to damage', () => {
    expect(files).toContain('config');
    expect(files.filter((f) => f.endsWith('.pack')).length).toBeGreaterThan(1);
    expect(files.filter((f) => f.endsWith('.point'))).toHaveLength(2);
  });

  it('the undamaged repository verifies clean', async () => {
    const repo = await openRepository(fx.dir, password ? { password } : {});
    const report = await verifyRepository(repo, decode());
    expect(report.problems).toEqual([]);
    expect(report.frames).toBeGreaterThan(0);
  });

  it('detects a flipped bit anywhere in any file', async () => {
    let cases = 0;
    for (const [fi, file] of files.entries()) {
      const size = await fileSize(join(fx.dir, file));
      for (const [oi, offset] of offsetsFor(file, size, fi * 100).entries()) {
        await damagedCase(fx, file, offset, (fi + oi) % 8, decode());
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(30);
  });
});
