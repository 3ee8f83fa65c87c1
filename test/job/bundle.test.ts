/**
 * The built package (npm run build: scripts/bundle.mjs) as users run it: plain `node dist/...`,
 * no TypeScript loader. Every other test runs from sources, so this is where the bundle layout is
 * checked — worker entries found from a chunk, native bindings resolved, one error class. `npm test`
 * builds first; locally without a build the test skips, in CI (CI=true) a missing build fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDisk, sameBytes, tempDir, writeImage } from './disk-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const built = existsSync(join(DIST, 'cli', 'main.js'));
if (!built && process.env['CI'] === 'true')
  throw new Error('dist/ is not built: CI runs `npm test`, which builds first');

let t: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  t = await tempDir('dm-bundle-');
});
afterAll(() => t?.cleanup());

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(DIST, 'cli', 'main.js'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)('built package (dist/)', () => {
  it('lays out entries, worker files and chunks as worker-entry.ts expects', () => {
    for (const f of [
      'index.js',
      'index.d.ts',
      'cli/main.js',
      'workers/block-worker.js',
      'workers/frame-run-worker.js',
    ])
      expect(existsSync(join(DIST, f)), f).toBe(true);
    // Shared code sits one folder below dist/, like src/workers/: the worker URL is relative to it.
    expect(readdirSync(join(DIST, 'chunks')).some((f) => f.endsWith('.js'))).toBe(true);
    // tsc emits declarations only: a stray compiled module would be a second copy of the code.
    expect(existsSync(join(DIST, 'errors.js'))).toBe(false);
  });

  it('backs up on two compute threads, verifies and restores bit-exact, encrypted', async () => {
    const MiB = 1024 * 1024;
    const disk = buildDisk(
      [
        { kind: 'text', length: 3 * MiB, seed: 11 },
        { kind: 'zero', length: MiB, seed: 0 },
        { kind: 'random', length: 2 * MiB, seed: 3 },
      ],
      6 * MiB + 4096,
      MiB,
    );
    const image = join(t.dir, 'app01.vhdx');
    await writeImage(image, disk, 'vhdx');
    const pw = join(t.dir, 'pw');
    await writeFile(pw, 'bundle-pass\n');
    const repo = join(t.dir, 'repo');

    const b = cli(
      'backup',
      '--repo',
      repo,
      '--disk',
      image,
      '--password-file',
      pw,
      '--threads',
      '2',
      '--json',
    );
    expect(b.stderr).toBe('');
    expect(b.status).toBe(0);
    const stats = (
      JSON.parse(b.stdout) as { stats: { blocks: { stored: number; zero: number; skipped: number } } }
    ).stats;
    expect(stats.blocks.stored).toBeGreaterThan(0);
    expect(stats.blocks.zero + stats.blocks.skipped).toBeGreaterThan(0); // the zero MiB is not stored

    const v = cli('verify', '--repo', repo, '--password-file', pw, '--json');
    expect(v.status).toBe(0);
    expect((JSON.parse(v.stdout) as { ok: boolean }).ok).toBe(true);

    const out = join(t.dir, 'out.img');
    const rs = cli('restore', '--repo', repo, '--vm', 'app01', '-o', out, '--password-file', pw, '--json');
    expect(rs.status).toBe(0);
    expect(await sameBytes(out, disk)).toBe(true);
  });

  it('reports errors with their catalog code and exit status', () => {
    const r = cli(
      'backup',
      '--repo',
      join(t.dir, 'repo-missing'),
      '--disk',
      join(t.dir, 'absent.vhdx'),
      '--json',
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^DM_ERR_IO_OPEN: /);
    expect(r.status).toBe(6); // io; a failure not recognised as a DmError would exit 1
  });
});
