/**
 * SIGTERM and SIGHUP (issue 14, item 9): the same clean abort as SIGINT. Real signals go to a CLI
 * child caught mid-backup (its first pack already holds data): exit 7 with DM_ERR_ABORTED, the
 * backup file's lock released, no pack or point left, and the repository still verifies. A second
 * signal while the first abort is still cleaning up ends the process at once, also with exit 7.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch, type Scratch } from '../hostile/scratch.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const MiB = 1024 * 1024;

let s: Scratch;
let image: string;
beforeAll(async () => {
  s = await scratch('dm-signals-');
  image = join(s.dir, 'disk.img');
  // Incompressible, and compressed at the slowest level on one thread: many seconds of work.
  await writeFile(image, randomBytes(256 * MiB));
});
afterAll(() => s.cleanup());

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function exited(child: ChildProcess): Promise<Exit> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** Polls until `ready()` holds (the child reached a state), or fails when the child ended first. */
async function until(ready: () => boolean, child: ChildProcess, what: string): Promise<void> {
  while (!ready()) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the child ended before ${what}`);
    await sleep(20);
  }
}

function packBytes(repo: string): number {
  const dir = join(repo, 'files', 'backup', 'packs');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

describe('backup under SIGTERM and SIGHUP', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} mid-backup: DM_ERR_ABORTED, exit 7, lock released, nothing left, repository verifies`, async () => {
      const repo = join(s.dir, `repo-${signal}`);
      const child = spawn(
        process.execPath,
        [CLI, 'backup', '--repo', repo, '--disk', image, '--compression', 'extreme', '--threads', '1'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const done = exited(child);
      await until(() => packBytes(repo) > 0, child, 'writing its first data');
      expect(existsSync(join(repo, 'files', 'backup', 'lock'))).toBe(true);
      child.kill(signal);
      const r = await done;
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toMatch(/^DM_ERR_ABORTED: /);
      const bf = join(repo, 'files', 'backup');
      expect(readdirSync(bf).sort()).toEqual(['packs', 'points']);
      expect(readdirSync(join(bf, 'packs'))).toEqual([]);
      expect(readdirSync(join(bf, 'points'))).toEqual([]);
      const v = spawnSync(process.execPath, [CLI, 'verify', '--repo', repo], { encoding: 'utf8' });
      expect(v.status, v.stderr).toBe(0);
    }, 120_000);
  }
});

describe('a second signal while aborting', () => {
  it('ends the process at once with DM_ERR_ABORTED and exit 7', async () => {
    // An operation whose cleanup never ends: only the second signal can stop it.
    const script = join(s.dir, 'stuck.mjs');
    await writeFile(
      script,
      `import { abortOnSignals } from ${JSON.stringify(join(ROOT, 'src', 'cli', 'progress.ts'))};\n` +
        `const signal = abortOnSignals();\n` +
        `signal.addEventListener('abort', () => process.stdout.write('aborting\\n'));\n` +
        `setInterval(() => {}, 1000);\n` +
        `process.stdout.write('ready\\n');\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const done = exited(child);
    await until(() => out.includes('ready'), child, 'installing its handlers');
    child.kill('SIGTERM');
    await until(() => out.includes('aborting'), child, 'aborting');
    child.kill('SIGHUP');
    const r = await done;
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/^DM_ERR_ABORTED: SIGHUP received again/);
  }, 60_000);
});
