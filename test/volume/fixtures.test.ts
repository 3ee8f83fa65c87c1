/** Committed mkntfs-made volumes (native-fixtures/ntfs) against ntfs-3g's golden facts: no tools needed. */
import { describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { describeVolumes } from '../../src/volume/describe.js';
import { fileClusters, resolvePath } from '../../src/volume/ntfs/files.js';
import { openNtfsVolume } from '../../src/volume/ntfs/volume.js';
import { simpleFold } from '../../src/volume/ntfs/upcase.js';
import { coalesce, overlaps, subtract } from '../../src/volume/ranges.js';
import { listDirectory } from '../../src/volume/ntfs/dir-index.js';
import { diskWith, loadFixture, writeGpt, writeMbr } from './helpers/disk-builder.js';
import { clusterRanges, extentsToClusters } from './helpers/expect-runs.js';
import { memorySource } from './helpers/sources.js';

const NO_SWAP = { pagefile: false, hiberfil: false, swapfile: false };
const FIXTURE_NAMES = ['c512', 's4k', 'c64k'] as const;

describe.each(FIXTURE_NAMES)('fixture %s', (name) => {
  const { image, facts } = loadFixture(name);
  const lss = facts.logicalSectorSize;

  it('agrees with ntfs-3g on geometry and clusters in use', async () => {
    const a = await analyzeDisk(memorySource(image, lss), { excludeSwap: NO_SWAP });
    expect(a.scheme).toBe('none');
    expect(a.volumes).toHaveLength(1);
    const v = a.volumes[0]!;
    expect(v).toMatchObject({
      kind: 'ntfs',
      status: 'ok',
      version: facts.version,
      clusterSize: facts.clusterSize,
    });
    expect(v.totalClusters).toBe(facts.totalClusters);
    expect(v.clustersInUse).toBe(facts.clustersInUse);
    expect(v.warnings).toEqual([]);
    // Free-only skip: exactly the free clusters.
    const skipped = a.skip.reduce((n, r) => n + r.length, 0);
    expect(skipped).toBe(facts.freeClusters * facts.clusterSize);
    // Nothing past the last cluster (partial cluster, backup boot sector) is ever skipped.
    const last = a.skip[a.skip.length - 1]!;
    expect(last.offset + last.length).toBeLessThanOrEqual(facts.totalClusters * facts.clusterSize);
    expect(facts.totalClusters * facts.clusterSize).toBeLessThan(image.length);
  });

  it('agrees with ntfsinfo -v on every listed file runlist, and never skips their clusters', async () => {
    const src = memorySource(image, lss);
    const vol = await openNtfsVolume(src, 0, image.length);
    const a = await analyzeDisk(src, { excludeSwap: NO_SWAP });
    const free = extentsToClusters(a.skip, 0, facts.clusterSize);
    for (const [path, runs] of Object.entries(facts.files)) {
      const f = await resolvePath(vol.mft, simpleFold, path);
      const ours = await fileClusters(vol.mft, f.record);
      expect(coalesce(ours.runs.map((r) => ({ offset: r.lcn, length: r.length }))), path).toEqual(
        clusterRanges(runs),
      );
      expect(overlaps(free, clusterRanges(runs)), path).toBe(false);
    }
  });

  it('excludes the pagefile by default, with its exact extents', async () => {
    const a = await analyzeDisk(memorySource(image, lss));
    const v = a.volumes[0]!;
    const pf = v.excluded.find((e) => e.path === '\\pagefile.sys')!;
    expect(extentsToClusters(pf.extents, 0, facts.clusterSize)).toEqual(
      clusterRanges(facts.files['/pagefile.sys']!),
    );
    expect(pf.bytes).toBe(
      clusterRanges(facts.files['/pagefile.sys']!).reduce((n, r) => n + r.length, 0) * facts.clusterSize,
    );
    const json = describeVolumes(a);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.volumes[0]!.excluded.map((e) => e.path)).toContain('\\pagefile.sys');
  });

  it('reads the same volume inside MBR and GPT tables at odd offsets', async () => {
    const vsec = image.length / lss;
    // MBR primary at LBA 63 (not cluster aligned) and a logical partition via an EBR chain.
    const mbr = diskWith((vsec * 2 + 200) * lss, image, 63 * lss);
    mbr.set(image, (63 + vsec + 40) * lss);
    writeMbr(mbr, 0, [
      { type: 0x07, startLba: 63, sectors: vsec },
      { type: 0x0f, startLba: 63 + vsec + 2, sectors: vsec + 100 },
    ]);
    writeMbr(mbr, (63 + vsec + 2) * lss, [{ type: 0x07, startLba: 38, sectors: vsec }]);
    // GPT at LBA 2048 + 7 (odd).
    const gpt = diskWith((vsec + 2100 + 40) * lss, image, 2055 * lss);
    writeGpt(gpt, lss, [{ firstLba: 2055, lastLba: 2055 + vsec - 1, name: 'data' }]);
    const base = await analyzeDisk(memorySource(image, lss), { excludeSwap: NO_SWAP });
    for (const [disk, scheme, starts] of [
      [mbr, 'mbr', [63, 63 + vsec + 40]],
      [gpt, 'gpt', [2055]],
    ] as const) {
      const a = await analyzeDisk(memorySource(disk, lss), { excludeSwap: NO_SWAP });
      expect(a.scheme).toBe(scheme);
      expect(a.volumes.map((v) => [v.offset / lss, v.status, v.clustersInUse])).toEqual(
        starts.map((s) => [s, 'ok', facts.clustersInUse]),
      );
      const expected = coalesce(
        starts.flatMap((s) => base.skip.map((r) => ({ offset: r.offset + s * lss, length: r.length }))),
      );
      expect(a.skip).toEqual(expected);
    }
    const g = await analyzeDisk(memorySource(gpt, lss));
    expect(g.partitions[0]).toMatchObject({
      index: 1,
      type: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
      name: 'data',
    });
  });
});

describe('fixture c512 exclusions', () => {
  const { image, facts } = loadFixture('c512');
  const cs = facts.clusterSize;

  it('excludes every file beneath a directory (recursively), case-insensitively, and nothing else', async () => {
    const a = await analyzeDisk(memorySource(image), {
      excludeSwap: NO_SWAP,
      exclude: ['C:\\USERS\\Bob\\tmp', '\\Windows\\temp\\X.TMP', '\\nope'],
    });
    const v = a.volumes[0]!;
    expect(v.status).toBe('ok');
    const dir = v.excluded.find((e) => e.path === 'C:\\USERS\\Bob\\tmp')!;
    const want = coalesce([
      ...clusterRanges(facts.files['/Users/bob/tmp/big.bin']!),
      ...clusterRanges(facts.files['/Users/bob/tmp/deep/d.bin']!),
    ]);
    expect(extentsToClusters(dir.extents, 0, cs)).toEqual(want);
    expect(
      overlaps(extentsToClusters(a.skip, 0, cs), clusterRanges(facts.files['/Users/bob/keep.bin']!)),
    ).toBe(false);
    const tmp = v.excluded.find((e) => e.path === '\\Windows\\temp\\X.TMP')!;
    expect(extentsToClusters(tmp.extents, 0, cs)).toEqual(clusterRanges(facts.files['/Windows/Temp/x.tmp']!));
    expect(v.warnings).toEqual(['exclusion "\\nope" not found on this volume']);
    expect(a.skip.reduce((n, r) => n + r.length, 0)).toBe(facts.freeClusters * cs + dir.bytes + tmp.bytes);
  });

  it('lists a 1200-entry directory through its multi-level $I30 B-tree, and excludes it whole', async () => {
    const vol = await openNtfsVolume(memorySource(image), 0, image.length);
    const dir = await resolvePath(vol.mft, simpleFold, '\\many');
    const entries = await listDirectory(vol.mft, dir.record);
    expect(new Set(entries.map((e) => e.record)).size).toBe(facts.dirEntries!['/many']);
    const a = await analyzeDisk(memorySource(image), { excludeSwap: NO_SWAP, exclude: ['\\many'] });
    const e = a.volumes[0]!.excluded[0]!;
    // Every 100th of the 1200 files holds 3000 bytes (6 clusters); the rest are resident.
    expect(e.bytes).toBe(12 * 6 * cs);
    const one = clusterRanges(facts.files['/many/entry-0500-with-a-longer-name.txt']!);
    expect(subtract(one, coalesce(extentsToClusters(e.extents, 0, cs)))).toEqual([]);
  });

  it('keeps only the allocated runs of a sparse file', async () => {
    const runs = facts.files['/sparse.bin']!;
    expect(runs.some((r) => r.lcn === -1)).toBe(true);
    const a = await analyzeDisk(memorySource(image), { excludeSwap: NO_SWAP, exclude: ['\\sparse.bin'] });
    const e = a.volumes[0]!.excluded[0]!;
    expect(extentsToClusters(e.extents, 0, cs)).toEqual(clusterRanges(runs));
    expect(e.bytes).toBe(runs.filter((r) => r.lcn >= 0).reduce((n, r) => n + r.length, 0) * cs);
  });

  it('keeps only the real runs of a compressed file (holes fill each 16-cluster unit)', async () => {
    const runs = facts.files['/Compressed/c.txt']!;
    expect(runs.filter((r) => r.lcn === -1).length).toBeGreaterThan(10);
    const a = await analyzeDisk(memorySource(image), {
      excludeSwap: NO_SWAP,
      exclude: ['\\compressed\\C.TXT'],
    });
    const e = a.volumes[0]!.excluded[0]!;
    expect(extentsToClusters(e.extents, 0, cs)).toEqual(clusterRanges(runs));
  });

  it('stops with DM_ERR_ABORTED when its signal fires', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(analyzeDisk(memorySource(image), { signal: ac.signal })).rejects.toSatisfy((e) =>
      isDmError(e, 'DM_ERR_ABORTED'),
    );
  });

  it('follows a non-resident $ATTRIBUTE_LIST (frag_a.bin, 160+ fragments)', async () => {
    expect(facts.files['/frag_a.bin']!.length).toBeGreaterThan(150);
    const a = await analyzeDisk(memorySource(image), { excludeSwap: NO_SWAP, exclude: ['\\frag_a.bin'] });
    const e = a.volumes[0]!.excluded[0]!;
    expect(extentsToClusters(e.extents, 0, cs)).toEqual(clusterRanges(facts.files['/frag_a.bin']!));
  });

  it('skips the freed-but-dirty clusters of a shrunk file, and hiberfil.sys by default', async () => {
    const a = await analyzeDisk(memorySource(image));
    const v = a.volumes[0]!;
    expect(v.excluded.map((e) => e.path).sort()).toEqual(['\\hiberfil.sys', '\\pagefile.sys']);
    expect(a.skip.reduce((n, r) => n + r.length, 0)).toBe(
      facts.freeClusters * cs + v.excluded.reduce((n, e) => n + e.bytes, 0),
    );
  });
});
