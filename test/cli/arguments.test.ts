/**
 * Arguments and small lies (issue 14, items 10, 12, 13, 14), through the built CLI: out-of-range
 * counts are usage errors, an empty image is named and refused before a repository exists, a
 * damaged or mislabelled VHDX is never backed up as raw unless asked, a job name is refused rather
 * than rewritten, an incremental that stores nothing prints no made-up ratios, and fixtures refuse
 * sizes they cannot make in reasonable time up front.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, scratch, type Scratch } from '../hostile/scratch.js';

const MiB = 1024 * 1024;
let s: Scratch;
let image: string;

beforeAll(async () => {
  s = await scratch('dm-args-');
  image = join(s.dir, 'disk.img');
  await writeFile(image, randomBytes(4 * MiB));
});
afterAll(() => s.cleanup());

describe('item 12: codes that match the catalog', () => {
  it('--threads and --tasks out of range are usage errors naming the range, not DM_ERR_INTERNAL', () => {
    for (const [flag, value] of [
      ['--threads', '100000'],
      ['--threads', '257'],
      ['--threads', '-1'],
      ['--threads', '1e3'],
      ['--tasks', '0'],
      ['--tasks', '100000'],
    ] as const) {
      const repo = join(s.dir, `repo-${flag}-${value}`);
      const r = runCli(['backup', '--repo', repo, '--disk', image, flag, value]);
      expect(r.code, r.stderr).toBe('DM_ERR_ARG_INVALID');
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(flag);
      expect(r.stderr).toMatch(/from \d+ to \d+/);
      expect(existsSync(repo)).toBe(false);
    }
  });

  it('--threads at the ends of its range runs', () => {
    const r = runCli([
      'backup',
      '--repo',
      join(s.dir, 'repo-t0'),
      '--disk',
      image,
      '--threads',
      '0',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('--block-size 1GiB is DM_ERR_ARG_SIZE', () => {
    const r = runCli(['backup', '--repo', join(s.dir, 'repo-bs'), '--disk', image, '--block-size', '1GiB']);
    expect(r.code, r.stderr).toBe('DM_ERR_ARG_SIZE');
    expect(r.status).toBe(2);
  });

  it('an empty image is named, and no repository is created for it', async () => {
    const empty = join(s.dir, 'empty.img');
    await writeFile(empty, '');
    const repo = join(s.dir, 'repo-empty');
    const r = runCli(['backup', '--repo', repo, '--disk', empty]);
    expect(r.code, r.stderr).toBe('DM_ERR_SOURCE_FORMAT_UNKNOWN');
    expect(r.stderr).toContain(empty);
    expect(existsSync(repo)).toBe(false);
  });
});

describe('item 13: a damaged or mislabelled VHDX is not a raw disk', () => {
  let vhdx: string;
  beforeAll(async () => {
    vhdx = join(s.dir, 'good.vhdx');
    const c = runCli(['convert', image, '-o', vhdx]);
    expect(c.status, c.stderr).toBe(0);
  });

  async function damaged(name: string): Promise<string> {
    const p = join(s.dir, name);
    await copyFile(vhdx, p);
    const fh = await open(p, 'r+');
    await fh.write(Buffer.from('X'), 0, 1, 0); // "vhdxfile" → "Xhdxfile"; headers and regions intact
    await fh.close();
    return p;
  }

  it('a .vhdx with a damaged file type identifier: DM_ERR_VHDX_SIGNATURE, nothing backed up', async () => {
    const bad = await damaged('bad.vhdx');
    const repo = join(s.dir, 'repo-badvhdx');
    const r = runCli(['backup', '--repo', repo, '--disk', bad]);
    expect(r.code, r.stderr).toBe('DM_ERR_VHDX_SIGNATURE');
    expect(existsSync(repo)).toBe(false);
    expect(runCli(['inspect', bad]).code).toBe('DM_ERR_VHDX_SIGNATURE');
    expect(runCli(['convert', bad, '-o', join(s.dir, 'bad-out.raw')]).code).toBe('DM_ERR_VHDX_SIGNATURE');
  });

  it('the same damage under another name is still recognised by its headers and region tables', async () => {
    const bad = await damaged('bad-renamed.img');
    const r = runCli(['inspect', bad]);
    expect(r.code, r.stderr).toBe('DM_ERR_VHDX_SIGNATURE');
    expect(r.stderr).toContain('header 1');
  });

  it('a raw disk named .vhdx is refused unless --format raw', async () => {
    const mislabelled = join(s.dir, 'raw-named.VHDX');
    await copyFile(image, mislabelled);
    expect(runCli(['inspect', mislabelled]).code).toBe('DM_ERR_VHDX_SIGNATURE');
    const repo = join(s.dir, 'repo-mislabelled');
    expect(runCli(['backup', '--repo', repo, '--disk', mislabelled]).code).toBe('DM_ERR_VHDX_SIGNATURE');
    expect(existsSync(repo)).toBe(false);
    const ok = runCli(['backup', '--repo', repo, '--disk', mislabelled, '--format', 'raw', '--json']);
    expect(ok.status, ok.stderr).toBe(0);
    const i = runCli(['inspect', mislabelled, '--format', 'raw', '--json']);
    expect(i.status, i.stderr).toBe(0);
    expect((JSON.parse(i.stdout) as { format: string }).format).toBe('raw');
  });

  it('a good VHDX still opens, and an unknown --format is a usage error', () => {
    expect(runCli(['inspect', vhdx]).status).toBe(0);
    expect(runCli(['inspect', vhdx, '--format', 'qcow2']).code).toBe('DM_ERR_ARG_INVALID');
  });
});

describe('item 14: output that can mislead', () => {
  it('a job named "..", "." or "a/b" is refused, never mapped to another backup file', () => {
    for (const job of ['..', '.', 'a/b', '_x', ' ', 'my job']) {
      const repo = join(s.dir, `repo-job-${readdirSync(s.dir).length}`);
      const r = runCli(['backup', '--repo', repo, '--disk', image, '--job', job]);
      expect(r.code, `${job}: ${r.stderr}`).toBe('DM_ERR_ARG_INVALID');
      expect(r.stderr).toContain('job name');
      expect(existsSync(repo)).toBe(false);
    }
  });

  it('an incremental that stores nothing reports ratios 0 (not defined), printed as n/a', () => {
    const repo = join(s.dir, 'repo-incr');
    expect(runCli(['backup', '--repo', repo, '--disk', image]).status).toBe(0);
    const j = runCli(['backup', '--repo', repo, '--disk', image, '--json']);
    expect(j.status, j.stderr).toBe(0);
    const stats = (JSON.parse(j.stdout) as { stats: Record<string, number> }).stats;
    expect(stats['transferredBytes']).toBe(0);
    expect(stats['dedupeRatio']).toBe(0);
    expect(stats['compressionRatio']).toBe(0);
    const h = runCli(['backup', '--repo', repo, '--disk', image]);
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout).toContain('dedupe n/a, compression n/a');
    expect(h.stdout).not.toMatch(/\d+x/);
  });
});

describe('item 10: fixtures sizes', () => {
  it('--disk-size 100TiB and a run above 4 TiB are refused up front with DM_ERR_ARG_SIZE', () => {
    for (const args of [
      ['--disk-size', '100TiB'],
      ['--disk-size', '1TiB', '--vms', '5'],
    ]) {
      const out = join(s.dir, `fx-${args.join('')}`);
      const r = runCli(['fixtures', '--out', out, ...args], { timeoutMs: 30_000 });
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, r.stderr).toBe('DM_ERR_ARG_SIZE');
      expect(r.stderr).toMatch(/limit of \d+ TiB/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a seed longer than 256 characters is refused', () => {
    const long = runCli(['fixtures', '--out', join(s.dir, 'fx-seed'), '--seed', 'x'.repeat(300)]);
    expect(long.code, long.stderr).toBe('DM_ERR_ARG_INVALID');
  });
});
