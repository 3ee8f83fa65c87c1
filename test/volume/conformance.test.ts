/**
 * Live conformance with ntfs-3g: volumes made by mkntfs across cluster sizes (512 B – 64 KiB) and
 * sector sizes (512, 4096), filled by ntfscp (growing files in rounds fragments them; overwriting a
 * big file with a small one leaves freed-but-dirty clusters). Our clusters in use and file extents
 * must equal ntfsinfo's, bare and inside MBR / GPT tables.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { coalesce, overlaps } from '../../src/volume/ranges.js';
import { hasTool } from '../helpers/tools.js';
import { diskWith, writeGpt, writeMbr } from './helpers/disk-builder.js';
import { clusterRanges, extentsToClusters } from './helpers/expect-runs.js';
import { ntfsDataRuns, ntfsVolumeFacts } from './helpers/ntfs3g.js';
import { memorySource } from './helpers/sources.js';
import { openRaw } from '../../src/source/raw-image.js';

const tools = hasTool('mkntfs') && hasTool('ntfscp') && hasTool('ntfsinfo');
const NO_SWAP = { pagefile: false, hiberfil: false, swapfile: false };
const MiB = 1024 * 1024;

/** Deterministic incompressible-enough content (allocation does not depend on content anyway). */
function content(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe.skipIf(!tools)('ntfs-3g conformance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-ntfs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [512 | 4096, number][] = [
    [512, 512],
    [512, 1024],
    [512, 2048],
    [512, 4096],
    [512, 8192],
    [512, 16384],
    [512, 32768],
    [512, 65536],
    [4096, 4096],
    [4096, 16384],
    [4096, 65536],
    // Large clusters: sectors per cluster stored as 2^(256 - v) (0xF8, 0xF4).
    [512, 131072],
    [512, 2 * MiB],
  ];

  it.each(cases)('sector %i, cluster %i', async (sector, cluster) => {
    const img = join(dir, `v-${sector}-${cluster}.img`);
    const host = join(dir, `f-${sector}-${cluster}`);
    writeFileSync(img, '');
    execFileSync('truncate', ['-s', cluster > 65536 ? '64M' : '16M', img]);
    execFileSync('mkntfs', ['-F', '-Q', '-T', '-q', '-s', String(sector), '-c', String(cluster), img], {
      stdio: 'ignore',
    });
    const cp = (bytes: number, seed: number, name: string): void => {
      writeFileSync(host, content(seed, bytes));
      execFileSync('ntfscp', ['-q', img, host, name], { stdio: 'ignore' });
    };
    // Four files grown in turns: each growth lands after the others' clusters, so they fragment.
    for (let round = 1; round <= 4; round++) {
      for (let f = 0; f < 4; f++)
        cp(round * 3 * Math.min(cluster, 65536) + 100, round * 10 + f, `grow${f}.bin`);
    }
    cp(1 * MiB + 123, 99, 'pagefile.sys');
    cp(2 * MiB, 7, 'shrunk.bin');
    cp(10_000, 8, 'shrunk.bin');
    cp(700, 9, 'tiny.txt'); // resident: no clusters

    const facts = ntfsVolumeFacts(img);
    expect(facts.clusterSize).toBe(cluster);
    const src = await openRaw(img, { logicalSectorSize: sector });
    try {
      const a = await analyzeDisk(src, { excludeSwap: NO_SWAP });
      const v = a.volumes[0]!;
      expect(v).toMatchObject({ status: 'ok', clusterSize: cluster, totalClusters: facts.totalClusters });
      expect(v.clustersInUse).toBe(facts.clustersInUse);
      expect(a.skip.reduce((n, r) => n + r.length, 0)).toBe(facts.freeClusters * cluster);
      const free = extentsToClusters(a.skip, 0, cluster);

      const withSwap = await analyzeDisk(src, { exclude: ['\\grow2.bin', '\\shrunk.bin', '\\tiny.txt'] });
      const excluded = new Map(withSwap.volumes[0]!.excluded.map((e) => [e.path, e]));
      for (const [path, name] of [
        ['/pagefile.sys', '\\pagefile.sys'],
        ['/grow2.bin', '\\grow2.bin'],
        ['/shrunk.bin', '\\shrunk.bin'],
        ['/tiny.txt', '\\tiny.txt'],
      ] as const) {
        const runs = clusterRanges(ntfsDataRuns(img, path));
        expect(extentsToClusters(excluded.get(name)!.extents, 0, cluster), path).toEqual(runs);
      }
      for (const f of ['/grow0.bin', '/grow1.bin', '/grow3.bin']) {
        const runs = clusterRanges(ntfsDataRuns(img, f));
        expect(overlaps(free, runs), f).toBe(false);
        expect(overlaps(extentsToClusters(withSwap.skip, 0, cluster), runs), f).toBe(false);
      }
      if (cluster <= 65536) expect(ntfsDataRuns(img, '/grow1.bin').length).toBeGreaterThan(1);

      // The same volume at an odd offset inside MBR and GPT tables, on a disk of this sector size.
      const vol = new Uint8Array(readFileSync(img));
      const vsec = vol.length / sector;
      const start = sector === 512 ? 2053 : 263;
      const mbr = diskWith((start + vsec + 8) * sector, vol, start * sector);
      writeMbr(mbr, 0, [{ type: 0x07, startLba: start, sectors: vsec }]);
      const gpt = diskWith((start + vsec + 64) * sector, vol, start * sector);
      writeGpt(gpt, sector, [{ firstLba: start, lastLba: start + vsec - 1 }]);
      for (const disk of [mbr, gpt]) {
        const w = await analyzeDisk(memorySource(disk, sector), { excludeSwap: NO_SWAP });
        expect(w.volumes[0]).toMatchObject({
          status: 'ok',
          offset: start * sector,
          clustersInUse: facts.clustersInUse,
        });
        expect(w.skip).toEqual(
          coalesce(a.skip.map((r) => ({ offset: r.offset + start * sector, length: r.length }))),
        );
      }
    } finally {
      await src.close();
    }
  });
});
