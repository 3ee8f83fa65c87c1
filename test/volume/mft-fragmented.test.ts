/**
 * A fragmented $MFT: the tail of the c512 fixture's $MFT is moved to a free area and record 0's $DATA
 * runlist rewritten to two runs (ntfs-3g grows the MFT contiguously, so no tool makes this small).
 * The old clusters are wiped, so every record past the split must come from the new run.
 */
import { describe, expect, it } from 'vitest';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { fileClusters, resolvePath } from '../../src/volume/ntfs/files.js';
import { simpleFold } from '../../src/volume/ntfs/upcase.js';
import { coalesce, overlaps } from '../../src/volume/ranges.js';
import { loadFixture } from './helpers/disk-builder.js';
import { clusterRanges, extentsToClusters } from './helpers/expect-runs.js';
import { attrOffset, openImage } from './helpers/mutate.js';
import { memorySource } from './helpers/sources.js';

const NO_SWAP = { pagefile: false, hiberfil: false, swapfile: false };

describe('fragmented $MFT', () => {
  it('reads records through a two-run $MFT runlist', async () => {
    const { image, facts } = loadFixture('c512');
    const cs = facts.clusterSize;
    const img = image.slice();
    const vol = await openImage(image);
    const [run] = vol.mft.mftRuns;
    expect(vol.mft.mftRuns).toHaveLength(1);
    const split = 114;
    const moved = run!.length - split;
    const base = await analyzeDisk(memorySource(image), { excludeSwap: NO_SWAP });
    const target = extentsToClusters(base.skip, 0, cs).find(
      (r) => r.length >= moved + 16 && r.offset > run!.lcn,
    )!;
    const newLcn = target.offset + 8;
    expect(newLcn - run!.lcn).toBeLessThan(0x8000);

    // Move the tail, wipe the old copy, mark the new clusters in use.
    img.copyWithin(newLcn * cs, (run!.lcn + split) * cs, (run!.lcn + run!.length) * cs);
    img.fill(0, (run!.lcn + split) * cs, (run!.lcn + run!.length) * cs);
    const bitmapLcn = (await fileClusters(vol.mft, 6)).runs[0]!.lcn;
    for (let c = newLcn; c < newLcn + moved; c++) {
      const at = bitmapLcn * cs + (c >> 3);
      img[at] = img[at]! | (1 << (c & 7));
    }
    // Record 0's $DATA: two runs.
    const rec0 = vol.mft.diskOffsetOf(0);
    const a = attrOffset(img, rec0, 0x80);
    const mp = a + (img[a + 32]! | (img[a + 33]! << 8));
    const room = (img[a + 4]! | (img[a + 5]! << 8)) - (mp - a);
    const delta = newLcn - run!.lcn;
    const pairs = [0x11, split, run!.lcn, 0x21, moved, delta & 0xff, delta >> 8, 0];
    expect(room).toBeGreaterThanOrEqual(pairs.length);
    expect(split < 0x80 && moved < 0x80 && run!.lcn < 0x80).toBe(true);
    img.set(pairs, mp);

    const frag = await openImage(img);
    expect(frag.mft.mftRuns).toEqual([
      { vcn: 0, lcn: run!.lcn, length: split },
      { vcn: split, lcn: newLcn, length: moved },
    ]);
    expect(frag.mft.recordCount).toBe(vol.mft.recordCount);
    const firstMovedRecord = (split * cs) / vol.boot.mftRecordSize;
    let checked = 0;
    for (const [path, runs] of Object.entries(facts.files)) {
      const f = await resolvePath(frag.mft, simpleFold, path);
      if (f.record >= firstMovedRecord) checked++;
      const ours = await fileClusters(frag.mft, f.record, f.sequence);
      expect(coalesce(ours.runs.map((r) => ({ offset: r.lcn, length: r.length }))), path).toEqual(
        clusterRanges(runs),
      );
    }
    expect(checked).toBeGreaterThan(0);

    const r = await analyzeDisk(memorySource(img), { excludeSwap: NO_SWAP });
    expect(r.volumes[0]).toMatchObject({ status: 'ok', clustersInUse: facts.clustersInUse + moved });
    expect(overlaps(extentsToClusters(r.skip, 0, cs), [{ offset: newLcn, length: moved }])).toBe(false);
  });
});
