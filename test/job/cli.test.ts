/** The CLI end to end (as a child process): backup → points → restore → verify, JSON contracts. */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDisk, sameBytes, tempDir, writeImage } from './disk-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
let t: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  t = await tempDir('dm-cli-');
});
afterAll(() => t.cleanup());

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('datamover CLI', () => {
  it('backup --json prints the §3.1 shape; restore is bit-exact; secrets never printed', async () => {
    const MiB = 1024 * 1024;
    const disk = buildDisk(
      [
        { kind: 'text', length: MiB + 7, seed: 5 },
        { kind: 'zero', length: MiB, seed: 0 },
        { kind: 'random', length: MiB, seed: 0 },
      ],
      3 * MiB + 4097,
      MiB,
    );
    const image = join(t.dir, 'web01.img');
    await writeImage(image, disk, 'raw');
    const pw = join(t.dir, 'pw');
    await writeFile(pw, 'top-secret-pass\n');
    const repo = join(t.dir, 'repo');

    const b = cli('backup', '--repo', repo, '--disk', image, '--password-file', pw, '--per-vm', '--json');
    expect(b.stderr).not.toContain('top-secret-pass');
    expect(b.status).toBe(0);
    const r = JSON.parse(b.stdout) as Record<string, unknown> & {
      points: { id: string; vm: string; disk: number; type: string }[];
      stats: Record<string, unknown> & { bottleneck: Record<string, unknown> };
      tasks: Record<string, unknown>[];
    };
    expect(b.stdout).not.toContain('top-secret-pass');
    expect(r.job).toBe('backup');
    expect(r.points[0]).toMatchObject({ vm: 'web01', disk: 0, type: 'full' });
    for (const k of [
      'processedBytes',
      'readBytes',
      'transferredBytes',
      'backupSizeBytes',
      'dedupeRatio',
      'compressionRatio',
      'durationMs',
      'processingRateBytesPerSec',
    ])
      expect(typeof r.stats[k]).toBe('number');
    expect(Object.keys(r.stats.bottleneck).sort()).toEqual([
      'network',
      'primary',
      'proxy',
      'source',
      'target',
    ]);
    for (const k of ['vm', 'disk', 'proxy', 'transportMode', 'readBytes', 'durationMs', 'status'])
      expect(r.tasks[0]).toHaveProperty(k);

    const p = cli('points', '--repo', repo, '--password-file', pw, '--json');
    expect(p.status).toBe(0);
    expect((JSON.parse(p.stdout) as { points: { id: string }[] }).points.map((x) => x.id)).toEqual([
      r.points[0]!.id,
    ]);

    const out = join(t.dir, 'out.img');
    const rs = cli('restore', '--repo', repo, '--vm', 'web01', '-o', out, '--password-file', pw, '--json');
    expect(rs.status).toBe(0);
    expect(await sameBytes(out, disk)).toBe(true);

    const v = cli('verify', '--repo', repo, '--password-file', pw, '--json');
    expect(v.status).toBe(0);
    expect((JSON.parse(v.stdout) as { ok: boolean }).ok).toBe(true);
  });

  it('refuses what is not built yet with DM_ERR_ARG_INVALID and a usage exit status', () => {
    const repo = join(t.dir, 'repo-x');
    for (const extra of [
      ['--infra', 'infra.json'],
      ['--disk', 'x.img', '--changes', 'c.json'],
      ['--disk', 'x.img', '--compression', 'max'],
    ]) {
      const r = cli('backup', '--repo', repo, ...extra, '--json');
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^DM_ERR_ARG_INVALID: /);
    }
    // A block size out of range is a size argument: DM_ERR_ARG_SIZE, as the catalog says.
    const r = cli('backup', '--repo', repo, '--disk', 'x.img', '--block-size', '2MiB', '--json');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^DM_ERR_ARG_SIZE: /);
  });
});
