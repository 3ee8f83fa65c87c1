/**
 * The repository commands as a user meets them (built CLI; issue 14 items 4, 5, 12 and 14):
 * a password for a plain repository is refused by every command; `points` lists damaged points,
 * exits 4 and escapes names; `verify` names each path once and says how to repair; a deleted pack
 * is repository damage for restore and verify.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepository, openWriter } from '../../src/repository/index.js';
import { fingerprint, runCli, scratch } from '../hostile/scratch.js';
import type { Scratch } from '../hostile/scratch.js';
import { backupDisk } from '../repository/helpers/backup.js';
import { makeDisk } from '../repository/helpers/disk.js';
import { copyRepo, flipBit } from '../repository/helpers/fixture-repo.js';

let s: Scratch;
let image: string;
let repo: string;
let pw: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  s = await scratch('dm-repo-cli-');
  image = join(s.dir, 'disk.img');
  await writeFile(image, randomBytes(512 * 1024));
  pw = join(s.dir, 'pw');
  await writeFile(pw, 'a password\n');
  repo = join(s.dir, 'repo');
  for (const vm of ['x', 'y', 'x']) {
    const r = runCli(['backup', '--repo', repo, '--disk', image, '--job', 'j', '--vm', vm, '--json']);
    expect(r.status, r.stderr).toBe(0);
    ids[vm] = (JSON.parse(r.stdout) as { points: { id: string }[] }).points[0]!.id;
  }
}, 60_000);

afterAll(() => s.cleanup());

async function copy(name: string): Promise<string> {
  const to = join(s.dir, name);
  await copyRepo(repo, to);
  return to;
}

describe('a password for a plain repository', () => {
  it('is refused by backup, restore, verify and points with DM_ERR_CRYPTO_NOT_ENCRYPTED (exit 5)', async () => {
    const out = join(s.dir, 'pw-out.raw');
    const before = fingerprint(repo);
    for (const args of [
      ['backup', '--repo', repo, '--disk', image, '--job', 'j', '--vm', 'x'],
      ['restore', '--repo', repo, '--vm', 'x', '-o', out],
      ['verify', '--repo', repo],
      ['points', '--repo', repo],
    ]) {
      const r = runCli([...args, '--password-file', pw]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe('DM_ERR_CRYPTO_NOT_ENCRYPTED');
      expect(r.status).toBe(5);
    }
    expect(fingerprint(repo)).toBe(before); // nothing written: no point, no lock, no pack
    await expect(stat(out)).rejects.toThrow();
  });
});

describe('points with a damaged manifest', () => {
  it('lists it as damaged (human and JSON), after the intact ones, and exits 4', async () => {
    const r2 = await copy('damaged');
    const file = join(r2, 'files', 'j', 'points', `${ids['x']}.point`);
    await flipBit(file, (await stat(file)).size - 10, 2);
    const human = runCli(['points', '--repo', r2]);
    expect(human.status).toBe(4);
    expect(human.code).toBe('DM_ERR_REPO_POINT_DAMAGED');
    expect(human.stdout).toContain(`${ids['x']}  DAMAGED  DM_ERR_REPO_CHECKSUM`);
    expect(human.stdout).toContain(ids['y']);
    expect(human.stdout).toContain(`repair: point ${ids['x']} cannot be restored`);
    const json = runCli(['points', '--repo', r2, '--json']);
    expect(json.status).toBe(4);
    const doc = JSON.parse(json.stdout) as { points: { id: string }[]; damaged: Record<string, unknown>[] };
    expect(doc.points.map((p) => p.id)).not.toContain(ids['x']);
    expect(doc.damaged).toHaveLength(1);
    expect(doc.damaged[0]).toMatchObject({
      id: ids['x'],
      backupFile: 'j',
      file,
      code: 'DM_ERR_REPO_CHECKSUM',
    });
    // restore: y works, x's latest is refused as damaged.
    expect(runCli(['restore', '--repo', r2, '--vm', 'y', '-o', join(s.dir, 'y.raw')]).status).toBe(0);
    const x = runCli(['restore', '--repo', r2, '--vm', 'x', '-o', join(s.dir, 'x.raw')]);
    expect(x.code).toBe('DM_ERR_REPO_POINT_DAMAGED');
    // A backup into that backup file starts a new chain, and says why.
    const b = runCli(['backup', '--repo', r2, '--disk', image, '--job', 'j', '--vm', 'x', '--json']);
    expect(b.status, b.stderr).toBe(0);
    const result = JSON.parse(b.stdout) as { points: { type: string }[]; warnings: string[] };
    expect(result.points[0]!.type).toBe('full');
    expect(result.warnings.join('\n')).toContain('starts a new chain');
    expect(result.warnings.join('\n')).toContain(file);
    expect(runCli(['restore', '--repo', r2, '--vm', 'x', '-o', join(s.dir, 'x-new.raw')]).status).toBe(0);
  });

  it('with every manifest damaged, never says "no restore points" with exit 0', async () => {
    const r2 = await copy('all-damaged');
    const dir = join(r2, 'files', 'j', 'points');
    for (const name of readdirSync(dir)) await flipBit(join(dir, name), 90, 0);
    const r = runCli(['points', '--repo', r2]);
    expect(r.status).toBe(4);
    expect(r.stdout).toContain('no intact restore points');
    expect(r.stdout.match(/DAMAGED/g)).toHaveLength(3);
  });
});

describe('verify', () => {
  it('prints each problem’s path once and says how to repair a damaged manifest', async () => {
    const r2 = await copy('verify-damaged');
    const file = join(r2, 'files', 'j', 'points', `${ids['x']}.point`);
    await flipBit(file, 100, 4);
    const r = runCli(['verify', '--repo', r2]);
    expect(r.status).toBe(4);
    const line = r.stdout.split('\n').find((l) => l.startsWith('DM_ERR_'))!;
    expect(line.split(file).length - 1, line).toBe(1);
    expect(r.stdout).toContain(`repair: point ${ids['x']} cannot be restored`);
    expect(r.stdout).toContain(`delete ${file}`);
  });
});

describe('a deleted pack', () => {
  it('is repository damage (DM_ERR_REPO_CORRUPT naming the pack) for restore and verify, not DM_ERR_IO_OPEN', async () => {
    const r2 = await copy('no-pack');
    const packs = join(r2, 'files', 'j', 'packs');
    // x's full wrote the first pack: every x point uses it.
    const first = readdirSync(packs)
      .map((name) => ({ name, t: statSync(join(packs, name)).mtimeMs }))
      .sort((a, b) => a.t - b.t)[0]!.name;
    await rm(join(packs, first));
    for (const cmd of ['restore', 'verify']) {
      const r =
        cmd === 'restore'
          ? runCli(['restore', '--repo', r2, '--vm', 'x', '-o', join(s.dir, 'nopack.raw')])
          : runCli(['verify', '--repo', r2]);
      expect(r.code, r.stderr).toBe('DM_ERR_REPO_CORRUPT');
      expect(r.status).toBe(4);
      expect(r.stderr + r.stdout).toContain(first);
    }
  });
});

describe('points output cannot be forged', () => {
  it('escapes control and format characters in VM names', async () => {
    const dir = join(s.dir, 'evil');
    const evil = 'a\n0000000000000000  2026-01-01T00:00:00.000Z  forged disk 0\x1b[2K\u202e';
    const r = await openRepository(dir, { create: true });
    const w = await openWriter(r, 'j');
    await backupDisk((o) => w.beginPoint(o), makeDisk(3, 64 * 1024, 2), 64 * 1024, {
      vm: evil,
      disk: 0,
      type: 'full',
    });
    await w.close();
    const out = runCli(['points', '--repo', dir]);
    expect(out.status).toBe(0);
    expect(out.stdout.trimEnd().split('\n')).toHaveLength(1);
    const unsafe = [...out.stdout].filter((c) => {
      const cp = c.codePointAt(0)!;
      return (cp < 0x20 && c !== '\n') || cp === 0x7f || cp === 0x202e;
    });
    expect(unsafe).toEqual([]);
    expect(out.stdout).toContain('a\\n0000000000000000');
    expect(out.stdout).toContain('\\x1b[2K\\u{202e}');
    // JSON keeps the name exactly.
    const json = JSON.parse(runCli(['points', '--repo', dir, '--json']).stdout) as {
      points: { vm: string }[];
    };
    expect(json.points[0]!.vm).toBe(evil);
  });
});
