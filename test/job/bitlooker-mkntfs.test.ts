/**
 * BitLooker on a volume made by the real tools, through the CLI: mkntfs (quick format, so free
 * space keeps the random bytes that were there) + ntfscp, wrapped in an MBR with stale bytes in
 * the gaps. `backup --exclude C:\secret.bin --no-exclude-hiberfil` skips free space, pagefile.sys
 * and secret.bin; the restored volume passes ntfsfix, kept files are identical through ntfscat,
 * excluded ones are zero. `--no-bitlooker` restores the disk bit-exact, stale bytes included.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupResult } from '../../src/job/backup.js';
import { restore } from '../../src/job/restore.js';
import { extractRange, ntfscat, run } from '../fixtures/helpers.js';
import { hasTool } from '../helpers/tools.js';
import { writeMbr } from '../volume/helpers/disk-builder.js';
import { tempDir } from './disk-helpers.js';

const MiB = 1024 * 1024;
const ROOT = join(import.meta.dirname, '..', '..');
const VOLUME_AT = MiB;
const VOLUME_BYTES = 48 * MiB;
const DISK_BYTES = VOLUME_AT + VOLUME_BYTES + MiB;

function text(bytes: number): Buffer {
  const words = ['volume ', 'cluster ', 'backup ', 'restore ', 'ntfs\n', 'bitmap '];
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += words[(i * 7 + (i >> 3)) % words.length];
  return Buffer.from(s.slice(0, bytes));
}

const FILES: { name: string; data: Buffer; excluded: boolean }[] = [
  { name: 'keep.bin', data: randomBytes(3 * MiB + 123), excluded: false },
  { name: 'notes.txt', data: text(MiB + 5000), excluded: false },
  { name: 'pagefile.sys', data: randomBytes(4 * MiB), excluded: true },
  { name: 'hiberfil.sys', data: randomBytes(2 * MiB), excluded: false }, // --no-exclude-hiberfil
  { name: 'secret.bin', data: randomBytes(2 * MiB + 77), excluded: true }, // --exclude
  { name: 'small.txt', data: Buffer.from('resident\n'), excluded: false },
];

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasTool('mkntfs') || !hasTool('ntfscp') || !hasTool('ntfscat') || !hasTool('ntfsfix'))(
  'BitLooker on an mkntfs + ntfscp volume in an MBR disk (CLI)',
  () => {
    let t: { dir: string; cleanup: () => Promise<void> };
    let disk: Uint8Array;
    let image: string;
    beforeAll(async () => {
      t = await tempDir('dm-bitlooker-mkntfs-');
      const vol = join(t.dir, 'vol.img');
      await writeFile(vol, randomBytes(VOLUME_BYTES)); // stale bytes a quick format leaves in place
      execFileSync('mkntfs', ['-F', '-Q', '-q', '-c', '4096', '-s', '512', '-p', '2048', '-L', 'T', vol], {
        stdio: 'ignore',
      });
      for (const f of FILES) {
        const local = join(t.dir, f.name);
        await writeFile(local, f.data);
        execFileSync('ntfscp', ['-f', vol, local, `/${f.name}`], { stdio: 'ignore' });
      }
      disk = new Uint8Array(DISK_BYTES);
      disk.fill(0x5c, 512, VOLUME_AT); // stale gap between the MBR and the partition
      disk.set(await readFile(vol), VOLUME_AT);
      disk.fill(0xa7, VOLUME_AT + VOLUME_BYTES); // stale tail after it
      writeMbr(disk, 0, [{ type: 0x07, startLba: VOLUME_AT / 512, sectors: VOLUME_BYTES / 512 }]);
      image = join(t.dir, 'mk.img');
      await writeFile(image, disk);
    });
    afterAll(() => t.cleanup());

    /** `datamover backup` of the image on one thread with `flags`; fails the test unless it exits 0. */
    function backupJson(repo: string, ...flags: string[]): BackupResult {
      const b = cli(
        'backup',
        '--repo',
        repo,
        '--disk',
        image,
        '--vm',
        'mk',
        '--threads',
        '0',
        ...flags,
        '--json',
      );
      expect(b.status, b.stderr).toBe(0);
      return JSON.parse(b.stdout) as BackupResult;
    }

    it('skips free space, pagefile.sys and --exclude; keeps hiberfil.sys, files and everything outside', async () => {
      const repo = join(t.dir, 'repo');
      const r = backupJson(repo, '--exclude', 'C:\\secret.bin', '--no-exclude-hiberfil');
      expect(r.warnings).toEqual([]);
      expect(r.bitlooker).toMatchObject({
        enabled: true,
        excludeSwap: { pagefile: true, hiberfil: false, swapfile: true },
        exclude: ['C:\\secret.bin'],
      });
      const v = r.bitlooker.volumes[0]!;
      expect(v).toMatchObject({ kind: 'ntfs', status: 'ok', offset: VOLUME_AT, length: VOLUME_BYTES });
      expect(v.excluded.map((e) => e.path)).toEqual(['\\pagefile.sys', 'C:\\secret.bin']);
      const filesBytes = FILES.reduce((s, f) => s + f.data.length, 0);
      // Read: metadata + kept files, rounded to 1 MiB blocks; nowhere near the 50 MiB of the disk.
      expect(r.stats.readBytes).toBeLessThan(DISK_BYTES - r.bitlooker.skippedBytes + 16 * MiB);
      expect(r.stats.readBytes).toBeLessThan(filesBytes + 12 * MiB);
      expect(r.bitlooker.skippedBytes).toBeGreaterThan(VOLUME_BYTES - filesBytes - 4 * MiB);

      const out = join(t.dir, 'restored.raw');
      await restore({ repo, vm: 'mk', out });
      const restored = new Uint8Array(await readFile(out));
      expect(Buffer.compare(restored.subarray(0, VOLUME_AT), disk.subarray(0, VOLUME_AT))).toBe(0);
      const end = VOLUME_AT + VOLUME_BYTES;
      expect(Buffer.compare(restored.subarray(end - 512), disk.subarray(end - 512))).toBe(0); // backup boot sector, tail

      const volume = join(t.dir, 'restored-volume.img');
      extractRange(out, volume, VOLUME_AT, VOLUME_BYTES);
      const fix = run('ntfsfix', ['-n', volume]);
      expect(fix.status, fix.out).toBe(0);
      for (const f of FILES) {
        const data = ntfscat(volume, `\\${f.name}`);
        expect(data.length, f.name).toBe(f.data.length);
        if (f.excluded)
          expect(
            data.every((x) => x === 0),
            `${f.name} zeroed`,
          ).toBe(true);
        else expect(Buffer.compare(data, f.data), f.name).toBe(0);
      }
    });

    it('--no-bitlooker reads the whole disk and restores it bit-exact, stale free space included', async () => {
      const repo = join(t.dir, 'repo-off');
      const r = backupJson(repo, '--no-bitlooker', '--exclude', '\\secret.bin');
      expect(r.stats.readBytes).toBe(DISK_BYTES);
      expect(r.bitlooker).toMatchObject({ enabled: false, skippedBytes: 0 });
      expect(r.warnings.some((w) => w.startsWith('BitLooker disabled: every allocated block'))).toBe(true);
      expect(r.warnings.some((w) => w.includes('--exclude paths are backed up too'))).toBe(true);
      const out = join(t.dir, 'restored-off.raw');
      await restore({ repo, vm: 'mk', out });
      expect(Buffer.compare(new Uint8Array(await readFile(out)), disk)).toBe(0);
    });
  },
);
