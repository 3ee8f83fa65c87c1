/**
 * BitLooker through backup() on a generated guest disk (GPT + NTFS, VHDX, 128 MiB): the restored
 * volume passes ntfs-3g, every file not excluded reads back byte-identical (manifest SHA-256),
 * excluded files exist with zeroed contents, free space restores as zeros although it holds stale
 * data in the source, bytes outside the volume are always kept, and the read planner reads
 * nothing it skips. --no-bitlooker, dirty and corrupted volumes are read whole with a warning.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiskManifest, ManifestFile } from '../../src/fixtures/index.js';
import { generateDisk } from '../../src/fixtures/index.js';
import { backup } from '../../src/job/backup.js';
import type { BackupOptions } from '../../src/job/backup-options.js';
import { planBitLooker } from '../../src/job/bitlooker.js';
import { restore } from '../../src/job/restore.js';
import { blockGrid } from '../../src/plan/block-grid.js';
import { planBlocks, summarizePlan } from '../../src/plan/planner.js';
import { openImage } from '../../src/source/open-image.js';
import { analyzeDisk } from '../../src/volume/api.js';
import type { ByteRange } from '../../src/volume/api.js';
import { extractRange, ntfscat, run } from '../fixtures/helpers.js';
import { hasTool } from '../helpers/tools.js';
import { attrOffset } from '../volume/helpers/mutate.js';
import { tempDir } from './disk-helpers.js';

const MiB = 1024 * 1024;
const KDF = 10;
const BLOCK = MiB;

let t: { dir: string; cleanup: () => Promise<void> };
let manifest: DiskManifest;
let vhdx: string;
/** The virtual disk's bytes (what a bit-exact restore without BitLooker gives back). */
let source: Uint8Array;
/** A guest directory (not the root) holding non-resident files: the user exclusion under test. */
let excludedDir: string;
let n = 0;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const isZero = (b: Uint8Array) => b.every((x) => x === 0);
const beneath = (dir: string, f: ManifestFile) => f.path.toLowerCase().startsWith(`${dir.toLowerCase()}\\`);

beforeAll(async () => {
  t = await tempDir('dm-bitlooker-');
  vhdx = join(t.dir, 'guest.vhdx');
  manifest = await generateDisk({ out: vhdx, seed: 11, diskSize: '128MiB', format: 'vhdx' });
  const src = await openImage(vhdx);
  try {
    source = new Uint8Array(src.virtualSize);
    await src.read(source, 0, src.virtualSize);
  } finally {
    await src.close();
  }
  const candidates = manifest.directories
    .filter((d) => d !== '\\' && d !== '')
    .map((d) => ({ d, files: manifest.files.filter((f) => beneath(d, f) && !f.resident && f.size > 0) }))
    .filter((c) => c.files.length > 0 && c.files.length < manifest.files.length / 2)
    .sort((a, b) => a.files.length - b.files.length);
  excludedDir = candidates[0]!.d;
});
afterAll(() => t.cleanup());

/** Backs `image` up into a fresh repository and restores it raw; returns result and restored bytes. */
async function roundTrip(image: string, options: Partial<BackupOptions>) {
  const repo = join(t.dir, `repo-${n}`);
  const out = join(t.dir, `restored-${n++}.raw`);
  const result = await backup({ repo, disk: image, vm: 'guest', threads: 0, kdfCost: KDF, ...options });
  await restore({ repo, vm: 'guest', out });
  return { result, out, restored: new Uint8Array(await readFile(out)) };
}

/** Writes `bytes` as a raw image next to the others. */
async function rawImage(bytes: Uint8Array): Promise<string> {
  const path = join(t.dir, `disk-${n++}.img`);
  await writeFile(path, bytes);
  return path;
}

/** restored == source outside `skip`, and zero inside it. */
function expectSkippedZeroedRestExact(
  restored: Uint8Array,
  src: Uint8Array,
  skip: readonly ByteRange[],
): void {
  expect(restored.length).toBe(src.length);
  let at = 0;
  for (const r of [...skip, { offset: src.length, length: 0 }]) {
    const kept = Buffer.compare(restored.subarray(at, r.offset), src.subarray(at, r.offset));
    expect(kept, `kept bytes [${at}, ${r.offset})`).toBe(0);
    expect(isZero(restored.subarray(r.offset, r.offset + r.length)), `skipped at ${r.offset}`).toBe(true);
    at = r.offset + r.length;
  }
}

/** Disk offset of the $Volume record's VOLUME_INFORMATION flags (NTFS volume at `vol`). */
function volumeFlagsOffset(disk: Uint8Array, vol: number): number {
  const dv = new DataView(disk.buffer, disk.byteOffset + vol, 512);
  const cs = dv.getUint16(11, true) * dv.getUint8(13);
  const mftLcn = Number(dv.getBigUint64(0x30, true));
  const raw = dv.getInt8(0x40);
  const recordSize = raw < 0 ? 2 ** -raw : raw * cs;
  const rec = vol + mftLcn * cs + 3 * recordSize;
  const a = attrOffset(disk, rec, 0x70);
  return a + (disk[a + 20]! | (disk[a + 21]! << 8)) + 10;
}

describe('BitLooker backup of a generated NTFS guest disk', () => {
  it('the generated disk has what the tests need: pagefile, hiberfil, an excluded directory, stale free space', async () => {
    const names = manifest.files.map((f) => f.path.toLowerCase());
    expect(names).toContain('\\pagefile.sys');
    expect(names).toContain('\\hiberfil.sys');
    expect(excludedDir).toBeTruthy();
    const src = await openImage(vhdx);
    try {
      const a = await analyzeDisk(src, {
        excludeSwap: { pagefile: false, hiberfil: false, swapfile: false },
      });
      // Free clusters alone: the generator leaves stale, non-zero bytes there.
      const stale = a.skip.filter((r) => !isZero(source.subarray(r.offset, r.offset + r.length)));
      expect(stale.length).toBeGreaterThan(0);
      expect(a.volumes[0]).toMatchObject({ status: 'ok', clustersInUse: manifest.volume.usedClusters });
    } finally {
      await src.close();
    }
  });

  describe.skipIf(!hasTool('ntfscat') || !hasTool('ntfsfix'))(
    'default settings + --exclude DIR (VHDX)',
    () => {
      let r: Awaited<ReturnType<typeof roundTrip>>;
      let skip: ByteRange[];
      let allocatedBytes = 0;
      let plannedReadBytes = 0;
      beforeAll(async () => {
        r = await roundTrip(vhdx, { exclude: [excludedDir] });
        const src = await openImage(vhdx);
        try {
          skip = (await analyzeDisk(src, { exclude: [excludedDir] })).skip;
          const grid = blockGrid(src.virtualSize, BLOCK);
          allocatedBytes = summarizePlan(planBlocks(src.extents(), grid)).readBytes;
          const bl = await planBitLooker(src, { enabled: true, exclude: [excludedDir] });
          // The planner never reads a block that lies wholly inside the skip ranges.
          for (const item of planBlocks(src.extents(), grid, { filters: bl.filters })) {
            if (item.kind !== 'read') continue;
            plannedReadBytes += item.length;
            const inside = skip.some(
              (s) => s.offset <= item.offset && item.offset + item.length <= s.offset + s.length,
            );
            expect(inside, `block ${item.index} is wholly skipped but planned for reading`).toBe(false);
          }
        } finally {
          await src.close();
        }
      });

      it('reports BitLooker in the result: on, volumes, exclusions, no warnings', () => {
        const bl = r.result.bitlooker;
        expect(bl.enabled).toBe(true);
        expect(r.result.warnings).toEqual([]);
        expect(bl.volumes).toHaveLength(1);
        expect(bl.volumes[0]).toMatchObject({ kind: 'ntfs', status: 'ok', readWhole: false });
        expect(bl.volumes[0]!.excluded.map((e) => e.path)).toEqual([
          '\\pagefile.sys',
          '\\hiberfil.sys',
          excludedDir,
        ]);
        expect(bl.skippedBytes).toBe(skip.reduce((s, x) => s + x.length, 0));
        expect(bl.usedBytes).toBe(manifest.volume.usedClusters * manifest.volume.clusterSize);
      });

      it('reads only the planned blocks, minus their large zeroed ranges: ≈ bytes in use', () => {
        const { readBytes } = r.result.stats;
        // Large BitLooker-zeroed ranges inside planned blocks are not read (pipeline/read-kept.ts).
        expect(readBytes).toBeLessThan(plannedReadBytes);
        const kept = source.length - r.result.bitlooker.skippedBytes;
        // Kept runs: each can drag in at most one partial block at either end.
        const runs = skip.length + 1;
        expect(readBytes).toBeLessThanOrEqual(kept + 2 * runs * BLOCK);
        expect(readBytes).toBeGreaterThanOrEqual(kept - BLOCK);
        const used = manifest.volume.usedClusters * manifest.volume.clusterSize;
        const outside = source.length - manifest.volume.length;
        expect(readBytes).toBeLessThanOrEqual(used + outside + 2 * runs * BLOCK);
        expect(readBytes).toBeLessThan(allocatedBytes * 0.75);
        expect(r.result.stats.blocks.skipped).toBeGreaterThan(0);
      });

      it('restores every kept byte exactly and every skipped byte (stale free space, exclusions) as zero', () => {
        expectSkippedZeroedRestExact(r.restored, source, skip);
        // Outside the volume (GPT, gaps, backup GPT) and the NTFS backup boot sector: always kept.
        const v = manifest.volume;
        expect(Buffer.compare(r.restored.subarray(0, v.offset), source.subarray(0, v.offset))).toBe(0);
        const clustersEnd = v.offset + v.clusters * v.clusterSize;
        expect(Buffer.compare(r.restored.subarray(clustersEnd), source.subarray(clustersEnd))).toBe(0);
        expect(skip.every((s) => s.offset >= v.offset && s.offset + s.length <= clustersEnd)).toBe(true);
      });

      it('the restored volume passes ntfsfix; kept files match the manifest, excluded ones are zero', () => {
        const volume = join(t.dir, 'restored-volume.img');
        extractRange(r.out, volume, manifest.volume.offset, manifest.volume.length);
        const fix = run('ntfsfix', ['-n', volume]);
        expect(fix.status, fix.out).toBe(0);
        const excluded = (f: ManifestFile) =>
          ['\\pagefile.sys', '\\hiberfil.sys'].includes(f.path.toLowerCase()) || beneath(excludedDir, f);
        let zeroed = 0;
        for (const f of manifest.files) {
          const data = ntfscat(volume, f.path);
          expect(data.length, f.path).toBe(f.size);
          if (excluded(f) && !f.resident) {
            expect(isZero(data), `${f.path} is excluded: zeroed`).toBe(true);
            zeroed++;
          } else {
            // Resident excluded files live in their MFT record: nothing to skip, kept intact.
            expect(sha(data), f.path).toBe(f.sha256);
          }
        }
        expect(zeroed).toBeGreaterThanOrEqual(3);
      });
    },
  );

  it('--no-bitlooker reads every allocated block whole and restores stale free space too', async () => {
    const r = await roundTrip(vhdx, { bitlooker: false });
    const src = await openImage(vhdx);
    try {
      const allocated = summarizePlan(planBlocks(src.extents(), blockGrid(src.virtualSize, BLOCK))).readBytes;
      expect(r.result.stats.readBytes).toBe(allocated);
    } finally {
      await src.close();
    }
    expect(r.result.bitlooker).toMatchObject({ enabled: false, skippedBytes: 0 });
    expect(r.result.warnings.join('\n')).toMatch(/^BitLooker disabled: /);
    expect(r.result.tasks[0]!.status).toBe('warning');
    expect(Buffer.compare(r.restored, source)).toBe(0);
  });

  it('swap exclusions switch off one by one: pagefile.sys kept, hiberfil.sys still skipped', async () => {
    const src = await openImage(vhdx);
    try {
      const bl = await planBitLooker(src, {
        enabled: true,
        exclude: [],
        excludeSwap: { pagefile: false, hiberfil: true, swapfile: true },
      });
      expect(bl.summary.volumes[0]!.excluded.map((e) => e.path)).toEqual(['\\hiberfil.sys']);
      const r = await roundTrip(vhdx, { excludeSwap: { pagefile: false } });
      expect(r.result.bitlooker.excludeSwap).toEqual({ pagefile: false, hiberfil: true, swapfile: true });
      const page = manifest.files.find((f) => f.path.toLowerCase() === '\\pagefile.sys')!;
      const hiber = manifest.files.find((f) => f.path.toLowerCase() === '\\hiberfil.sys')!;
      for (const e of page.extents)
        expect(
          Buffer.compare(
            r.restored.subarray(e.offset, e.offset + e.length),
            source.subarray(e.offset, e.offset + e.length),
          ),
        ).toBe(0);
      for (const e of hiber.extents)
        expect(isZero(r.restored.subarray(e.offset, e.offset + e.length))).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('a volume marked dirty is read whole with a warning and restores bit-exact', async () => {
    const dirty = source.slice();
    dirty[volumeFlagsOffset(dirty, manifest.volume.offset)]! |= 0x01;
    const image = await rawImage(dirty);
    const r = await roundTrip(image, {});
    expect(r.result.warnings.join('\n')).toMatch(/dirty.*read whole/);
    expect(r.result.bitlooker.volumes[0]).toMatchObject({ status: 'dirty', readWhole: true });
    expect(r.result.bitlooker.skippedBytes).toBe(0);
    expect(r.result.stats.readBytes).toBe(dirty.length);
    expect(r.result.tasks[0]!.status).toBe('warning');
    expect(Buffer.compare(r.restored, dirty)).toBe(0);
  });

  it('a volume whose boot sectors are both corrupt is read whole with a warning and restores bit-exact', async () => {
    const bad = source.slice();
    const vol = manifest.volume.offset;
    const sectors = Number(new DataView(bad.buffer, vol + 0x28, 8).getBigUint64(0, true));
    for (const at of [vol, vol + sectors * 512, vol + manifest.volume.length - 512])
      for (let i = 11; i < 100; i++) bad[at + i] = (i * 37) & 0xff;
    const image = await rawImage(bad);
    const r = await roundTrip(image, {});
    expect(r.result.bitlooker.volumes[0]).toMatchObject({ status: 'invalid', readWhole: true });
    expect(r.result.warnings.join('\n')).toMatch(/read whole/);
    expect(r.result.stats.readBytes).toBe(bad.length);
    expect(Buffer.compare(r.restored, bad)).toBe(0);
  });

  it('bytes outside the volume are kept even when they hold stale data (raw image)', async () => {
    const disk = source.slice();
    const v = manifest.volume;
    // Stale bytes in the gap after the GPT array and in the space after the volume.
    for (let i = 64 * 512; i < v.offset; i++) disk[i] = (i * 131) & 0xff || 1;
    for (let i = v.offset + v.length; i < disk.length - 64 * 512; i++) disk[i] = (i * 17) & 0xff || 1;
    const image = await rawImage(disk);
    const r = await roundTrip(image, {});
    expect(r.result.bitlooker.volumes[0]!.status).toBe('ok');
    const src = await openImage(image);
    try {
      expectSkippedZeroedRestExact(r.restored, disk, (await analyzeDisk(src)).skip);
    } finally {
      await src.close();
    }
    const clustersEnd = v.offset + v.clusters * v.clusterSize;
    expect(Buffer.compare(r.restored.subarray(0, v.offset), disk.subarray(0, v.offset))).toBe(0);
    expect(Buffer.compare(r.restored.subarray(clustersEnd), disk.subarray(clustersEnd))).toBe(0);
    expect(r.result.stats.readBytes).toBeLessThan(disk.length * 0.75);
  });
});
