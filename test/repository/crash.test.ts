/**
 * Crash safety (design.md §6): a child process writing points is killed with SIGKILL at random
 * moments, 20+ times. After each kill: no partial point is visible, every point verifies, the
 * points of that run (and a sample of earlier ones) restore bit-exact, and the next run succeeds.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { listPoints, openRepository } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import type { PointInfo, Repository } from '../../src/repository/index.js';
import { crashDisk } from './helpers/crash-disk.js';
import { prng } from './helpers/disk.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const CHILD = fileURLToPath(new URL('./helpers/crash-writer.ts', import.meta.url));
const PASSWORD = 'crash-pw';
const KILLS = 20;

/** Runs the child; kills it `killAfterMs` after it is ready (undefined: let it finish). */
function runChild(repo: string, first: number, count: number, killAfterMs?: number) {
  return new Promise<{ committed: string[]; killed: boolean; code: number | null }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, repo, PASSWORD, String(first), String(count)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAfterMs !== undefined && out.includes('ready\n') && !child.killed)
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child failed (${code}): ${err}`));
      const committed = [...out.matchAll(/^committed (\w+) \d+$/gm)].map((m) => m[1]!);
      resolve({ committed, killed: signal === 'SIGKILL', code });
    });
  });
}

async function checkPoint(repo: Repository, dir: string, p: PointInfo): Promise<void> {
  const g = Number(/^gen-(\d+)$/.exec(p.changeId)![1]);
  const out = join(dir, `restore-${p.id}.raw`);
  // The same point is checked after several kills: force replaces the earlier check's output.
  await restorePoint(repo, { vm: 'vm', point: p.id, out, force: true });
  expect((await readFile(out)).equals(crashDisk(g)), `point ${p.id} gen ${g}`).toBe(true);
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs at random moments`, async () => {
    const dir = await tempDir('dm-crash-');
    const repoDir = join(dir, 'repo');
    const delays = prng(4242, KILLS * 2);
    const seen = new Set<string>();
    let kills = 0;
    for (let run = 0; run < KILLS; run++) {
      const killAfter = delays.readUInt16LE(run * 2) % 500;
      const res = await runChild(repoDir, run * 1000, 1000, killAfter);
      if (res.killed) kills++;
      const repo = await openRepository(repoDir, { password: PASSWORD });
      const points = await listPoints(repo);
      const ids = new Set(points.map((p) => p.id));
      // Everything reported committed (now or in earlier runs) is visible; nothing vanished.
      for (const id of [...res.committed, ...seen]) expect(ids.has(id), `point ${id}`).toBe(true);
      const report = await verifyRepository(repo);
      expect(report.problems, `run ${run}`).toEqual([]);
      const fresh = points.filter((p) => !seen.has(p.id));
      const earlier = points.filter((p) => seen.has(p.id));
      const sample = earlier.length ? [earlier[run % earlier.length]!] : [];
      for (const p of [...fresh, ...sample]) await checkPoint(repo, dir, p);
      for (const p of points) seen.add(p.id);
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS * 0.75);
    // The next run completes, and everything still restores.
    const final = await runChild(repoDir, 90_000, 2);
    expect(final.committed).toHaveLength(2);
    const repo = await openRepository(repoDir, { password: PASSWORD });
    const report = await verifyRepository(repo);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    for (const p of await listPoints(repo)) await checkPoint(repo, dir, p);
  }, 600_000);
});
