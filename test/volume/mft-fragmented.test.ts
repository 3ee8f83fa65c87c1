/**
 * A fragmented $MFT. ntfs-3g left the c512 fixture's $MFT in several runs (its files are checked
 * against ntfsinfo in fixtures.test.ts); here its last run is also moved to a free area, the old
 * copy wiped and record 0's runlist rewritten, so every record there must come from the new place.
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
  it('reads records through a multi-run $MFT runlist, after moving its last run', async () => {
    const { image, facts } = loadFixture('c512');
    const cs = facts.clusterSize;
    const img = image.slice();
    const vol = await openImage(image);
    const runs = vol.mft.mftRuns;
    expect(runs.length).toBeGreaterThan(1);
    const last = runs[runs.length - 1]!;
    const base = await analyzeDisk(memorySource(image), { excludeSwap: NO_SWAP });
    const target = extentsToClusters(base.skip, 0, cs).find((r) => r.length >= last.length + 16)!;
    const newLcn = target.offset + 8;

    img.copyWithin(newLcn * cs, last.lcn * cs, (last.lcn + last.length) * cs);
    img.fill(0, last.lcn * cs, (last.lcn + last.length) * cs);
    const bitmapLcn = (await fileClusters(vol.mft, 6)).runs[0]!.lcn;
    for (let c = newLcn; c < newLcn + last.length; c++) {
      const at = bitmapLcn * cs + (c >> 3);
      img[at] = img[at]! | (1 << (c & 7));
    }
    const moved = [...runs.slice(0, -1), { ...last, lcn: newLcn }];
    const pairs: number[] = [];
    let prev = 0;
    for (const r of moved) {
      pairs.push(...encodeRun(r.length, r.lcn - prev));
      prev = r.lcn;
    }
    pairs.push(0);
    const rec0 = vol.mft.diskOffsetOf(0);
    const a = attrOffset(img, rec0, 0x80);
    const mp = a + (img[a + 32]! | (img[a + 33]! << 8));
    const room = (img[a + 4]! | (img[a + 5]! << 8)) - (mp - a);
    expect(room).toBeGreaterThanOrEqual(pairs.length);
    img.set(pairs, mp);

    const frag = await openImage(img);
    expect(frag.mft.mftRuns).toEqual(moved);
    expect(frag.mft.recordCount).toBe(vol.mft.recordCount);
    const firstMovedRecord = (last.vcn * cs) / vol.boot.mftRecordSize;
    let checked = 0;
    for (const [path, runsOf] of Object.entries(facts.files)) {
      const f = await resolvePath(frag.mft, simpleFold, path);
      if (f.record >= firstMovedRecord) checked++;
      const ours = await fileClusters(frag.mft, f.record, f.sequence);
      expect(coalesce(ours.runs.map((r) => ({ offset: r.lcn, length: r.length }))), path).toEqual(
        clusterRanges(runsOf),
      );
    }
    expect(checked).toBeGreaterThan(0);

    const r = await analyzeDisk(memorySource(img), { excludeSwap: NO_SWAP });
    expect(r.volumes[0]).toMatchObject({ status: 'ok', clustersInUse: facts.clustersInUse + last.length });
    expect(overlaps(extentsToClusters(r.skip, 0, cs), [{ offset: newLcn, length: last.length }])).toBe(false);
  });
});

/** One mapping pair: header, length, signed LCN delta, each in the fewest little-endian bytes. */
function encodeRun(length: number, delta: number): number[] {
  const bytes = (v: number): number[] => {
    const out: number[] = [];
    for (;;) {
      out.push(((v % 256) + 256) % 256);
      v = Math.floor(v / 256);
      const top = out[out.length - 1]! & 0x80;
      if ((v === 0 && !top) || (v === -1 && top)) return out;
    }
  };
  const len = bytes(length);
  const lcn = bytes(delta);
  return [(lcn.length << 4) | len.length, ...len, ...lcn];
}
