/**
 * Output targets through the library (issue 14, items 1, 2, 9 and 14): restore() and convert()
 * check `out` before any work, never overwrite a file that appears while they run, remove their
 * own temp on failure and the identifiable leftovers of killed runs, and agree on a VHDX's size.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/job/backup.js';
import { convert } from '../../src/job/convert.js';
import { inspect } from '../../src/job/inspect.js';
import { restore } from '../../src/job/restore.js';
import { tempDir } from './disk-helpers.js';

const MiB = 1024 * 1024;
let t: { dir: string; cleanup: () => Promise<void> };
let repo: string;
let image: string;
let disk: Buffer;
const password = 'output-targets';

beforeAll(async () => {
  t = await tempDir('dm-outputs-');
  disk = Buffer.concat([randomBytes(MiB), Buffer.alloc(MiB), randomBytes(MiB / 2)]);
  image = join(t.dir, 'vm.raw');
  await writeFile(image, disk);
  repo = join(t.dir, 'R');
  await backup({ repo, disk: image, vm: 'x', password, kdfCost: 10, threads: 0 });
});
afterAll(() => t.cleanup());

const partials = async (dir: string) => (await readdir(dir)).filter((n) => n.includes('.partial-'));

/** A pid that is surely not running any more: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe('restore() output target', () => {
  it('refuses a FIFO, a directory, a symlink and a repository file before opening the repository', async () => {
    const fifo = join(t.dir, 'a-fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const dir = join(t.dir, 'a-dir');
    await mkdir(dir);
    const link = join(t.dir, 'a-link');
    await symlink(image, link);
    for (const out of [fifo, dir, link, join(repo, 'config'), join(repo, 'elsewhere.raw')]) {
      // No password: had the repository been opened first, this would be CRYPTO_PASSWORD_REQUIRED.
      await expect(restore({ repo, vm: 'x', out }), out).rejects.toMatchObject({
        code: 'DM_ERR_OUTPUT_REFUSED',
      });
      await expect(restore({ repo, vm: 'x', out, force: true }), out).rejects.toMatchObject({
        code: 'DM_ERR_OUTPUT_REFUSED',
      });
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await partials(t.dir)).toEqual([]);
  });

  it('refuses an existing file unless force, and force replaces it', async () => {
    const out = join(t.dir, 'existing.raw');
    await writeFile(out, 'keep me');
    await expect(restore({ repo, vm: 'x', out })).rejects.toMatchObject({ code: 'DM_ERR_OUTPUT_EXISTS' });
    expect(await readFile(out, 'utf8')).toBe('keep me');
    await restore({ repo, vm: 'x', out, password, force: true });
    expect((await readFile(out)).equals(disk)).toBe(true);
  });

  it('does not overwrite a file that appears while it runs', async () => {
    const out = join(t.dir, 'appears.raw');
    let planted = false;
    const failed = restore({
      repo,
      vm: 'x',
      out,
      password,
      // 'write' comes after the up-front check, before the restore writes anything.
      onProgress: (e) => {
        if (e.phase === 'write' && !planted) {
          planted = true;
          spawnSync('sh', ['-c', `printf planted > '${out}'`]);
        }
      },
    });
    await expect(failed).rejects.toMatchObject({ code: 'DM_ERR_OUTPUT_EXISTS' });
    expect(planted).toBe(true);
    expect(await readFile(out, 'utf8')).toBe('planted');
    expect(await partials(t.dir)).toEqual([]);
  });

  it('removes leftovers of killed runs of the same output, and nothing else', async () => {
    const dir = join(t.dir, 'leftovers');
    await mkdir(dir);
    const dead = deadPid();
    const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    const otherHost = host === '00000000' ? '11111111' : '00000000';
    const own = [`.disk.raw.partial-${dead}`, `.disk.raw.partial-${dead}-${host}-0123abcd`];
    const kept = [
      `.disk.raw.partial-${process.ppid}-${host}-0123abcd`, // a live process's
      `.disk.raw.partial-${dead}-${otherHost}-0123abcd`, // another host's (its pid means nothing here)
      `.other.raw.partial-${dead}-${host}-0123abcd`, // another output's
      `.disk.raw.partial-${dead}-${host}-notours`, // not the pattern
      'disk.raw.partial-1234', // not the pattern
    ];
    for (const n of [...own, ...kept]) await writeFile(join(dir, n), 'x');
    await symlink(image, join(dir, `.disk.raw.partial-${dead}-${host}-00000000`)); // not a regular file
    kept.push(`.disk.raw.partial-${dead}-${host}-00000000`);
    await restore({ repo, vm: 'x', out: join(dir, 'disk.raw'), password });
    expect((await readdir(dir)).sort()).toEqual([...kept, 'disk.raw'].sort());
    expect((await readFile(image)).equals(disk)).toBe(true);
  });

  it('an abort removes its temp file and leaves no output', async () => {
    const out = join(t.dir, 'aborted.raw');
    const controller = new AbortController();
    const failed = restore({
      repo,
      vm: 'x',
      out,
      password,
      signal: controller.signal,
      onProgress: (e) => e.phase === 'write' && controller.abort(),
    });
    await expect(failed).rejects.toMatchObject({ code: 'DM_ERR_ABORTED' });
    expect(await partials(t.dir)).toEqual([]);
    expect((await readdir(t.dir)).includes('aborted.raw')).toBe(false);
  });
});

describe('convert() output target', () => {
  it('refuses special files, repository files, its input and an existing file before reading', async () => {
    const fifo = join(t.dir, 'c-fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const cases: [string, string, boolean][] = [
      [fifo, 'DM_ERR_OUTPUT_REFUSED', true],
      [t.dir, 'DM_ERR_OUTPUT_REFUSED', true],
      [join(repo, 'config'), 'DM_ERR_OUTPUT_REFUSED', true],
      [image, 'DM_ERR_OUTPUT_REFUSED', true],
      [join(t.dir, 'bystander.raw'), 'DM_ERR_OUTPUT_EXISTS', false],
    ];
    await writeFile(join(t.dir, 'bystander.raw'), 'bystander');
    const before = await readFile(join(repo, 'config'));
    for (const [out, code, alsoForced] of cases) {
      await expect(convert({ image, out }), out).rejects.toMatchObject({ code });
      if (alsoForced) await expect(convert({ image, out, force: true }), out).rejects.toMatchObject({ code });
    }
    expect((await readFile(join(repo, 'config'))).equals(before)).toBe(true);
    expect((await readFile(image)).equals(disk)).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(await readFile(join(t.dir, 'bystander.raw'), 'utf8')).toBe('bystander');
  });

  it('--force replaces a regular file; a failed convert leaves it and removes its temp', async () => {
    const out = join(t.dir, 'converted.raw');
    await writeFile(out, 'old');
    await convert({ image, out, force: true });
    expect((await readFile(out)).equals(disk)).toBe(true);
    const controller = new AbortController();
    controller.abort();
    const aborted = convert({ image, out, force: true, signal: controller.signal });
    await expect(aborted).rejects.toMatchObject({ code: 'DM_ERR_ABORTED' });
    expect((await readFile(out)).equals(disk)).toBe(true);
    expect(await partials(t.dir)).toEqual([]);
  });
});

describe('a raw image that is not whole sectors (issue 14, item 14)', () => {
  it('convert to VHDX pads to whole sectors and reports the size it wrote', async () => {
    const seven = join(t.dir, 'seven.raw');
    await writeFile(seven, 'abcdefg');
    const out = join(t.dir, 'seven.vhdx');
    const r = await convert({ image: seven, out });
    expect([r.virtualSize, r.sourceVirtualSize]).toEqual([512, 7]);
    expect((await inspect(out)).virtualSize).toBe(512);
  });

  it('restore of a 7-byte point to .vhdx is refused up front, to a raw file it is exact', async () => {
    const seven = join(t.dir, 'seven-b.raw');
    await writeFile(seven, 'abcdefg');
    const r7 = join(t.dir, 'R7');
    await backup({ repo: r7, disk: seven, vm: 's', threads: 0 });
    const dir = join(t.dir, 'r7-out');
    await mkdir(dir);
    await expect(restore({ repo: r7, vm: 's', out: join(dir, 's.vhdx') })).rejects.toMatchObject({
      code: 'DM_ERR_VHDX_WRITE_OPTION',
    });
    expect(await readdir(dir)).toEqual([]);
    await restore({ repo: r7, vm: 's', out: join(dir, 's.raw') });
    expect(await readFile(join(dir, 's.raw'), 'utf8')).toBe('abcdefg');
  });
});
