/**
 * Hostile output targets (issue 14, items 1 and 2): `restore -o` and `convert -o` at special files,
 * at repository files and at existing files, through the built CLI. Each is refused with its code
 * and the path is left exactly as it was (fingerprint); --force replaces a regular file only, and
 * no temp file is left behind. Special files live in a scratch directory, never the real /dev.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, watch } from 'node:fs';
import { link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, isRoot, makeSpecials, runCli, scratch, type Scratch } from './scratch.js';

const MiB = 1024 * 1024;
let s: Scratch;
let repo: string;
let image: string;
let disk: Buffer;
/** Paths that must survive every command: special files, repository files, a bystander file. */
const targets = new Map<string, { path: string; code: string }>();

function findFile(dir: string, suffix: string): string {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const hit = findFile(p, suffix);
      if (hit) return hit;
    } else if (e.name.endsWith(suffix)) return p;
  }
  return '';
}

/** Every temp a restore or convert could have left in `dir` (none may survive a refused command). */
function partials(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.includes('.partial-')) : [];
}

beforeAll(async () => {
  s = await scratch('dm-hostile-outputs-');
  disk = Buffer.concat([randomBytes(MiB), Buffer.alloc(MiB), randomBytes(MiB)]);
  image = join(s.dir, 'vm.raw');
  await writeFile(image, disk);
  await writeFile(join(s.dir, 'pw'), 'hostile-outputs\n');
  repo = join(s.dir, 'R');
  const b = runCli([
    'backup',
    '--repo',
    repo,
    '--disk',
    image,
    '--vm',
    'x',
    '--password-file',
    join(s.dir, 'pw'),
  ]);
  expect(b.status, b.stderr).toBe(0);

  const victim = join(s.dir, 'victim.txt');
  await writeFile(victim, 'precious');
  const specials = await makeSpecials(join(s.dir, 'specials'), victim);
  for (const [kind, path] of specials) targets.set(kind, { path, code: 'DM_ERR_OUTPUT_REFUSED' });
  targets.set('repository config', { path: join(repo, 'config'), code: 'DM_ERR_OUTPUT_REFUSED' });
  targets.set('pack', { path: findFile(repo, '.pack'), code: 'DM_ERR_OUTPUT_REFUSED' });
  targets.set('point file', { path: findFile(repo, '.point'), code: 'DM_ERR_OUTPUT_REFUSED' });
  targets.set('new file in a repository', {
    path: join(repo, 'files', 'new.raw'),
    code: 'DM_ERR_OUTPUT_REFUSED',
  });
  targets.set('missing directory in a repository', {
    path: join(repo, 'files', 'no-such-dir', 'new.raw'),
    code: 'DM_ERR_OUTPUT_REFUSED',
  });
  // A symlinked directory does not hide the repository behind it (real paths are checked).
  await symlink(join(repo, 'files'), join(s.dir, 'into-repo'));
  targets.set('through a link into a repository', {
    path: join(s.dir, 'into-repo', 'new.raw'),
    code: 'DM_ERR_OUTPUT_REFUSED',
  });
  targets.set('existing file', { path: victim, code: 'DM_ERR_OUTPUT_EXISTS' });
  if (isRoot) expect(specials.has('chardev')).toBe(true);
});

afterAll(() => s.cleanup());

/** The fingerprints of every target, the victim behind the symlinks, and the repository. */
function snapshot(): Map<string, string> {
  const m = new Map<string, string>();
  for (const { path } of targets.values()) m.set(path, fingerprint(path));
  m.set(repo, fingerprint(repo));
  m.set('victim', fingerprint(join(s.dir, 'victim.txt')));
  return m;
}

const commands = {
  restore: (out: string, force: boolean) =>
    runCli([
      'restore',
      '--repo',
      repo,
      '--vm',
      'x',
      '--password-file',
      join(s.dir, 'pw'),
      '-o',
      out,
      ...(force ? ['--force'] : []),
    ]),
  convert: (out: string, force: boolean) =>
    runCli(['convert', image, '-o', out, ...(force ? ['--force'] : [])]),
};

describe.each(Object.entries(commands))('%s -o at a hostile target', (_name, run) => {
  it('refuses every special kind, every repository file and an existing file, leaving each alone', () => {
    const before = snapshot();
    for (const [kind, { path, code }] of targets) {
      const r = run(path, false);
      expect([kind, r.status, r.code], r.stderr).toEqual([kind, 2, code]);
      expect(r.stdout).toBe('');
    }
    expect(snapshot()).toEqual(before);
    for (const dir of new Set([...targets.values()].map((t) => dirname(t.path))))
      expect(partials(dir)).toEqual([]);
  });

  it('--force still refuses everything but a regular file outside a repository', () => {
    const before = snapshot();
    for (const [kind, { path, code }] of targets) {
      if (code === 'DM_ERR_OUTPUT_EXISTS') continue;
      const r = run(path, true);
      expect([kind, r.status, r.code], r.stderr).toEqual([kind, 2, 'DM_ERR_OUTPUT_REFUSED']);
    }
    expect(snapshot()).toEqual(before);
  });

  it('--force replaces an existing regular file', async () => {
    const out = join(s.dir, `replace-${_name}.raw`);
    await writeFile(out, 'old contents');
    const r = run(out, true);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out).equals(disk)).toBe(true);
    expect(partials(s.dir)).toEqual([]);
  });

  it('a missing directory is a clear error and creates nothing', async () => {
    const out = join(s.dir, 'no-such-dir', 'out.raw');
    const r = run(out, false);
    expect([r.status, r.code]).toEqual([6, 'DM_ERR_IO_OPEN']);
    expect(r.stderr).toContain('does not exist');
    expect(fingerprint(dirname(out))).toBe('missing');
  });
});

describe('convert -o at its own input', () => {
  it('is refused even with --force (a hard link to it too)', async () => {
    const before = fingerprint(image);
    const hard = join(s.dir, 'vm-hard-link.raw');
    await link(image, hard);
    for (const out of [image, join(s.dir, '.', 'vm.raw'), hard]) {
      const r = runCli(['convert', image, '-o', out, '--force']);
      expect([r.status, r.code], r.stderr).toEqual([2, 'DM_ERR_OUTPUT_REFUSED']);
    }
    expect(fingerprint(image)).toBe(before);
  });
});

describe('restore killed mid-way (SIGKILL)', () => {
  const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
  let big: Buffer;
  let bigRepo: string;

  beforeAll(async () => {
    big = randomBytes(64 * MiB);
    const bigImage = join(s.dir, 'big.raw');
    await writeFile(bigImage, big);
    bigRepo = join(s.dir, 'R-big');
    const b = runCli(['backup', '--repo', bigRepo, '--disk', bigImage, '--vm', 'big']);
    expect(b.status, b.stderr).toBe(0);
  });

  /** Starts a CLI restore and SIGKILLs it as soon as its temp file appears; true if it was killed so. */
  async function killOnTemp(out: string): Promise<boolean> {
    const dir = dirname(out);
    const child = spawn(process.execPath, [CLI, 'restore', '--repo', bigRepo, '--vm', 'big', '-o', out], {
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, sig) => resolve(sig)),
    );
    const watcher = watch(dir, (_event, name) => {
      if (String(name).includes('.partial-')) child.kill('SIGKILL');
    });
    try {
      return (await exited) === 'SIGKILL';
    } finally {
      watcher.close();
    }
  }

  it('leaves a temp that the next restore to the same output removes', async () => {
    const dir = join(s.dir, 'killed');
    await mkdir(dir);
    const out = join(dir, 'big.raw');
    // The kill must land before the restore finishes; a restore that won the race is retried.
    let killed = false;
    for (let attempt = 0; attempt < 5 && !killed; attempt++) {
      await rm(out, { force: true });
      killed = await killOnTemp(out);
    }
    expect(killed).toBe(true);
    expect(existsSync(out)).toBe(false);
    const leftovers = partials(dir);
    expect(leftovers.length).toBeGreaterThan(0);

    const r = runCli(['restore', '--repo', bigRepo, '--vm', 'big', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(partials(dir)).toEqual([]);
    expect(readFileSync(out).equals(big)).toBe(true);
  });
});
