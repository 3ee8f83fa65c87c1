/**
 * Hostile paths inside and as the repository (issue 14, items 7, 11 and 12): a FIFO, a character
 * device (root only), a symlink (to a valid copy of the file it replaces, outside the repository),
 * a dangling symlink and a directory in place of the config, a point manifest, a pack, the lock, a
 * backup file's directory, its points and packs directories, and as `--repo` itself. backup,
 * restore, verify and points run as the built CLI under a time limit: none may hang, each ends with
 * its documented outcome and DM_ERR code, and nothing outside the repository is touched.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { cp, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, isRoot, makeSpecials, runCli, scratch } from './scratch.js';
import type { CliRun, Scratch, SpecialKind } from './scratch.js';

const TIME_LIMIT_MS = 30_000;
let s: Scratch;
let base: string;
let image: string;
let ids: { x: string[]; y: string };

function ok(r: CliRun, what: string): void {
  expect(r.signal, `${what}: hung or killed\n${r.stderr}`).toBeNull();
  expect(r.status, `${what}\n${r.stderr}`).toBe(0);
}

function backupArgs(repo: string, vm: string): string[] {
  return ['backup', '--repo', repo, '--disk', image, '--job', 'j', '--vm', vm, '--json'];
}

beforeAll(async () => {
  s = await scratch('dm-hostile-repo-');
  image = join(s.dir, 'disk.img');
  await writeFile(image, randomBytes(1024 * 1024));
  base = join(s.dir, 'base');
  const point = (vm: string) => {
    const r = runCli(backupArgs(base, vm), { timeoutMs: TIME_LIMIT_MS });
    ok(r, `backup ${vm}`);
    return (JSON.parse(r.stdout) as { points: { id: string }[] }).points[0]!.id;
  };
  ids = { x: [point('x')], y: point('y') };
  ids.x.push(point('x'));
}, 120_000);

afterAll(() => s.cleanup());

const SLOTS = {
  config: (r: string) => join(r, 'config'),
  'a point manifest': (r: string) => join(r, 'files', 'j', 'points', `${ids.x[1]}.point`),
  'an extra point name': (r: string) => join(r, 'files', 'j', 'points', '0123456789abcdef.point'),
  'a pack': (r: string) => join(r, 'files', 'j', 'packs', firstPack(r)),
  'the lock': (r: string) => join(r, 'files', 'j', 'lock'),
  'the files directory': (r: string) => join(r, 'files'),
  'a backup file directory': (r: string) => join(r, 'files', 'j'),
  'a points directory': (r: string) => join(r, 'files', 'j', 'points'),
  'a packs directory': (r: string) => join(r, 'files', 'j', 'packs'),
} as const;
type Slot = keyof typeof SLOTS;

/** The pack of the first backup (x's full): the oldest one. */
function firstPack(repo: string): string {
  const dir = join(repo, 'files', 'j', 'packs');
  return readdirSync(dir)
    .map((name) => ({ name, t: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => a.t - b.t)[0]!.name;
}

/** Expected exit status and code of each command with `slot` replaced (any kind); 0 = succeeds. */
function expected(slot: Slot): Record<'backup' | 'restore' | 'restoreOld' | 'verify' | 'points', string | 0> {
  switch (slot) {
    case 'config':
      return all('DM_ERR_REPO_CORRUPT');
    case 'a point manifest':
    case 'an extra point name':
      // A damaged entry that may be x's latest: listed, reported, a backup starts a new chain.
      return {
        backup: 0,
        restore: 'DM_ERR_REPO_POINT_DAMAGED',
        restoreOld: 0,
        verify: 'DM_ERR_REPO_CORRUPT',
        points: 'DM_ERR_REPO_POINT_DAMAGED',
      };
    case 'a pack':
      // Packs of the oldest point: both x points use its blobs.
      return {
        backup: 0,
        restore: 'DM_ERR_REPO_CORRUPT',
        restoreOld: 'DM_ERR_REPO_CORRUPT',
        verify: 'DM_ERR_REPO_CORRUPT',
        points: 0,
      };
    case 'the lock':
      return { backup: 'DM_ERR_REPO_CORRUPT', restore: 0, restoreOld: 0, verify: 0, points: 0 };
    case 'the files directory':
      return {
        backup: 'DM_ERR_REPO_CORRUPT',
        restore: 'DM_ERR_REPO_POINT_DAMAGED',
        restoreOld: 'DM_ERR_REPO_CORRUPT',
        verify: 'DM_ERR_REPO_CORRUPT',
        points: 'DM_ERR_REPO_POINT_DAMAGED',
      };
    case 'a backup file directory':
    case 'a points directory':
      return {
        backup: 'DM_ERR_REPO_CORRUPT',
        restore: 'DM_ERR_REPO_POINT_DAMAGED',
        restoreOld: 'DM_ERR_REPO_POINT_DAMAGED',
        verify: 'DM_ERR_REPO_CORRUPT',
        points: 'DM_ERR_REPO_POINT_DAMAGED',
      };
    case 'a packs directory':
      return {
        backup: 'DM_ERR_REPO_CORRUPT',
        restore: 'DM_ERR_REPO_CORRUPT',
        restoreOld: 'DM_ERR_REPO_CORRUPT',
        verify: 'DM_ERR_REPO_CORRUPT',
        points: 0,
      };
  }
}

function all(code: string) {
  return { backup: code, restore: code, restoreOld: code, verify: code, points: code };
}

/** A fresh copy of the base repository with `slot` replaced by a special file of `kind`. */
async function hostileRepo(slot: Slot, kind: SpecialKind, n: number) {
  const dir = join(s.dir, `case-${n}`);
  const repo = join(dir, 'repo');
  await cp(base, repo, { recursive: true });
  const target = SLOTS[slot](repo);
  // The symlink leads to a valid copy of what it replaces, outside the repository: following it
  // would "work", and is exactly what must not happen.
  const outside = join(dir, 'outside');
  await mkdir(outside);
  const copy = join(outside, 'copy');
  if (spawnSync('test', ['-e', target]).status === 0) await cp(target, copy, { recursive: true });
  else await writeFile(copy, 'not a lock');
  const specials = await makeSpecials(join(dir, 'specials'), copy);
  const special = specials.get(kind);
  if (!special) return undefined;
  await rm(target, { recursive: true, force: true });
  await rename(special, target);
  return { dir, repo, target, outside };
}

const KINDS: SpecialKind[] = ['fifo', 'chardev', 'symlink', 'dangling-symlink', 'directory'];
const canMknod = isRoot;

describe.each(Object.keys(SLOTS) as Slot[])('%s replaced', (slot) => {
  it.each(KINDS)(
    'by a %s: no hang, a clear code, nothing outside touched',
    async (kind) => {
      if (kind === 'chardev' && !canMknod) {
        expect(process.env['CI'], 'CI runs as root: device nodes must be tested there').not.toBe('true');
        return;
      }
      // A directory in place of a directory is no hostile path: just an empty backup file.
      if (kind === 'directory' && slot.endsWith('directory')) return;
      const n = Object.keys(SLOTS).indexOf(slot) * 10 + KINDS.indexOf(kind);
      const c = await hostileRepo(slot, kind, n);
      expect(c, `could not make a ${kind}`).toBeDefined();
      const { dir, repo, target, outside } = c!;
      const specialsDir = join(dir, 'specials');
      const beforeSpecials = fingerprint(specialsDir);
      const beforeOutside = fingerprint(outside);
      const beforeTarget = fingerprint(target);
      const want = expected(slot);
      const runs: Record<keyof typeof want, string[]> = {
        points: ['points', '--repo', repo],
        verify: ['verify', '--repo', repo],
        restore: ['restore', '--repo', repo, '--vm', 'x', '-o', join(dir, 'latest.raw')],
        restoreOld: [
          'restore',
          '--repo',
          repo,
          '--vm',
          'x',
          '--point',
          ids.x[0]!,
          '-o',
          join(dir, 'old.raw'),
        ],
        backup: backupArgs(repo, 'x'),
      };
      for (const [cmd, args] of Object.entries(runs) as [keyof typeof want, string[]][]) {
        const r = runCli(args, { timeoutMs: TIME_LIMIT_MS });
        const what = `${cmd} with ${slot} a ${kind}`;
        expect(r.signal, `${what}: hung (killed after ${TIME_LIMIT_MS} ms)`).toBeNull();
        if (want[cmd] === 0) expect(r.status, `${what}\n${r.stderr}`).toBe(0);
        else {
          expect(r.code, `${what}\n${r.stderr}`).toBe(want[cmd]);
          expect(r.status, what).not.toBe(0);
        }
        expect(r.stderr, what).not.toMatch(/\n\s+at /); // no stack trace
        expect(fingerprint(outside), `${what}: touched something outside the repository`).toBe(beforeOutside);
        expect(fingerprint(specialsDir), `${what}: wrote through a symlink`).toBe(beforeSpecials);
        // The hostile entry itself is never opened for writing, moved, truncated or deleted.
        expect(fingerprint(target), `${what}: changed the ${kind}`).toBe(beforeTarget);
      }
    },
    120_000,
  );
});

describe('--repo itself', () => {
  it.each(KINDS)(
    'a %s: no hang, DM_ERR_REPO_NOT_FOUND or NOT_EMPTY, left alone',
    async (kind) => {
      if (kind === 'chardev' && !canMknod) {
        expect(process.env['CI']).not.toBe('true');
        return;
      }
      const dir = join(s.dir, `as-repo-${kind}`);
      const file = join(dir, 'a-file');
      await mkdir(dir, { recursive: true });
      await writeFile(file, 'not a repository');
      const specials = await makeSpecials(join(dir, 'specials'), file);
      const repo = specials.get(kind)!;
      const before = fingerprint(dir);
      for (const args of [
        ['points', '--repo', repo],
        ['verify', '--repo', repo],
        ['restore', '--repo', repo, '--vm', 'x', '-o', join(s.dir, `out-${kind}.raw`)],
        backupArgs(repo, 'x'),
      ]) {
        const r = runCli(args, { timeoutMs: TIME_LIMIT_MS });
        expect(r.signal, `${args[0]} --repo ${kind}: hung`).toBeNull();
        const creating = args[0] === 'backup';
        const code = kind === 'directory' && creating ? 'DM_ERR_REPO_NOT_EMPTY' : 'DM_ERR_REPO_NOT_FOUND';
        expect(r.code, `${args[0]} --repo ${kind}\n${r.stderr}`).toBe(code);
        expect(r.status).toBe(2);
        expect(fingerprint(dir), `${args[0]} --repo ${kind} changed something`).toBe(before);
      }
      expect((await readdir(dir)).sort()).toEqual(['a-file', 'specials']);
    },
    120_000,
  );
});
