/**
 * Every source of "free" BitLooker trusts, contradicted one at a time on the c512 fixture (made by
 * ntfs-3g: a directory of 1200 entries with $INDEX_ALLOCATION, files whose $DATA spans extension
 * records through a non-resident $ATTRIBUTE_LIST, sparse and compressed files). The rule: when one
 * source says a cluster is in use, it is read; an in-use cluster the $Bitmap marks free makes the
 * volume read whole, naming the file.
 */
import { describe, expect, it } from 'vitest';
import { analyzeDisk } from '../../src/volume/analyze.js';
import type { DiskAnalysis } from '../../src/volume/analyze.js';
import { resolvePath } from '../../src/volume/ntfs/files.js';
import { simpleFold } from '../../src/volume/ntfs/upcase.js';
import { coalesce, overlaps, subtract } from '../../src/volume/ranges.js';
import { loadFixture } from './helpers/disk-builder.js';
import { attributeClusters, setClusterBits, setMftBitmapBit, setRecordInUse } from './helpers/bitmap-edit.js';
import { clusterRanges, extentsToClusters } from './helpers/expect-runs.js';
import { attrOffset, openImage } from './helpers/mutate.js';
import { memorySource } from './helpers/sources.js';

const NO_SWAP = { pagefile: false, hiberfil: false, swapfile: false };
const { image: pristine, facts } = loadFixture('c512');
const CS = facts.clusterSize;

async function setup(path: string) {
  const vol = await openImage(pristine);
  const record = (await resolvePath(vol.mft, simpleFold, path)).record;
  return { img: pristine.slice(), vol, record };
}

const analyze = (img: Uint8Array, excludeSwap = NO_SWAP): Promise<DiskAnalysis> =>
  analyzeDisk(memorySource(img), { excludeSwap });

function expectReadWhole(a: DiskAnalysis, code: string, naming: string): void {
  expect(a.volumes[0]).toMatchObject({ status: 'invalid', error: { code } });
  expect(a.skip).toEqual([]);
  expect(a.warnings.join('\n')).toContain(naming);
}

describe('$Bitmap against every in-use record (c512)', () => {
  it('the pristine volume analyses ok: sparse and compressed holes claim no clusters', async () => {
    const a = await analyze(pristine);
    expect(a.volumes[0]).toMatchObject({ status: 'ok' });
    expect(a.warnings).toEqual([]);
    const skipped = extentsToClusters(a.skip, 0, CS);
    for (const [path, runs] of Object.entries(facts.files))
      expect(overlaps(skipped, clusterRanges(runs)), path).toBe(false);
  });

  it("a directory's $INDEX_ALLOCATION and $SECURITY_DESCRIPTOR clusters", async () => {
    for (const type of [0xa0, 0x50]) {
      const { img, vol, record } = await setup('/many');
      const runs = await attributeClusters(vol, record, type, type === 0xa0 ? '$I30' : '');
      await setClusterBits(img, vol, [{ offset: runs[0]!.offset, length: 1 }], false);
      expectReadWhole(await analyze(img), 'DM_ERR_NTFS_BITMAP', `MFT record ${record} (\\many): 1 cluster)`);
    }
  });

  it('$DATA runs held in an extension record, and the non-resident $ATTRIBUTE_LIST, name the base file', async () => {
    const tail = facts.files['/frag_a.bin']!.find((r) => r.vcn === 903)!;
    const { img, vol, record } = await setup('/frag_a.bin');
    // VCN 903 lies in an extension record: the base record does not hold this run.
    const base = await vol.mft.readRecord(record);
    expect(base.attributes.find((x) => x.type === 0x80)!.highestVcn).toBeLessThan(903);
    await setClusterBits(img, vol, [{ offset: tail.lcn, length: tail.length }], false);
    // Its $FILE_NAME lives in an extension record too: the name comes through the attribute list.
    expectReadWhole(
      await analyze(img),
      'DM_ERR_NTFS_BITMAP',
      `MFT record ${record} (\\frag_a.bin): 97 clusters)`,
    );

    const list = await setup('/frag_a.bin');
    await setClusterBits(list.img, list.vol, await attributeClusters(list.vol, record, 0x20), false);
    expectReadWhole(
      await analyze(list.img),
      'DM_ERR_NTFS_BITMAP',
      `MFT record ${record} (\\frag_a.bin): 1 cluster)`,
    );
  });

  it('the $MFT $BITMAP and the record header: either one saying "in use" keeps the file', async () => {
    const clusters = clusterRanges(facts.files['/hiberfil.sys']!);
    // $MFT $BITMAP says free, the header says in use.
    const a = await setup('/hiberfil.sys');
    await setMftBitmapBit(a.img, a.vol, a.record, false);
    await setClusterBits(a.img, a.vol, clusters, false);
    const ra = await analyze(a.img);
    expectReadWhole(ra, 'DM_ERR_NTFS_BITMAP', `MFT record ${a.record} (\\hiberfil.sys): 118 clusters`);
    expect(ra.warnings.join('\n')).toContain('1 in use by header only, 0 by $BITMAP only');

    // The header says free, the $MFT $BITMAP says in use.
    const b = await setup('/hiberfil.sys');
    setRecordInUse(b.img, b.vol, b.record, false);
    await setClusterBits(b.img, b.vol, clusters, false);
    expectReadWhole(await analyze(b.img), 'DM_ERR_NTFS_BITMAP', `MFT record ${b.record}: 118 clusters`);

    // Only the $MFT $BITMAP disagrees, the clusters are marked in use: nothing is lost, a warning.
    const c = await setup('/hiberfil.sys');
    await setMftBitmapBit(c.img, c.vol, c.record, false);
    const rc = await analyze(c.img);
    expect(rc.volumes[0]).toMatchObject({ status: 'ok' });
    expect(rc.warnings.join('\n')).toContain('$MFT $BITMAP and record headers disagree on 1 record(s)');
    expect(overlaps(extentsToClusters(rc.skip, 0, CS), clusters)).toBe(false);

    // Both say free (a cleanly deleted file) and so does the $Bitmap: its clusters are skipped.
    const d = await setup('/hiberfil.sys');
    await setMftBitmapBit(d.img, d.vol, d.record, false);
    setRecordInUse(d.img, d.vol, d.record, false);
    await setClusterBits(d.img, d.vol, clusters, false);
    const rd = await analyze(d.img);
    expect(rd.volumes[0]).toMatchObject({ status: 'ok' });
    expect(rd.warnings).toEqual([]);
    expect(subtract(clusters, extentsToClusters(rd.skip, 0, CS))).toEqual([]);
  });

  it('an in-use record that cannot be parsed makes the volume read whole; a free one does not matter', async () => {
    const a = await setup('/hiberfil.sys');
    a.img.set([0x42, 0x41, 0x41, 0x44], a.vol.mft.diskOffsetOf(a.record)); // "BAAD"
    expectReadWhole(await analyze(a.img), 'DM_ERR_NTFS_RECORD', `first: record ${a.record}:`);

    await setMftBitmapBit(a.img, a.vol, a.record, false);
    expect((await analyze(a.img)).volumes[0]).toMatchObject({ status: 'ok' });
  });

  it('reserved records 12-15 (bit set by design) may be empty; a user record the $MFT $BITMAP claims may not', async () => {
    const { img, vol } = await setup('/hiberfil.sys');
    const rs = vol.boot.mftRecordSize;
    img.fill(0, vol.mft.diskOffsetOf(13), vol.mft.diskOffsetOf(13) + rs);
    const a = await analyze(img);
    expect(a.volumes[0]).toMatchObject({ status: 'ok' });
    expect(a.warnings).toEqual([]);

    // A user record neither source marks in use (the pristine volume has no disagreement).
    let free = vol.mft.recordCount - 1;
    while ((await vol.mft.readRecord(free).catch(() => undefined))?.inUse ?? false) free--;
    expect(free).toBeGreaterThanOrEqual(16);
    img.fill(0, vol.mft.diskOffsetOf(free), vol.mft.diskOffsetOf(free) + rs);
    await setMftBitmapBit(img, vol, free, true);
    expectReadWhole(await analyze(img), 'DM_ERR_NTFS_RECORD', `first: record ${free}:`);
  });

  it('volume bounds: an in-use run past the last cluster cannot be checked, so the volume is read whole', async () => {
    const { img, vol, record } = await setup('/hiberfil.sys');
    const at = attrOffset(img, vol.mft.diskOffsetOf(record), 0x80);
    const mp = at + (img[at + 32]! | (img[at + 33]! << 8));
    expect(facts.totalClusters).toBeLessThan(0x7fff - 118);
    img.set([0x21, 118, 0xff, 0x7f, 0], mp); // LCN 32767: outside the 16383-cluster volume
    expectReadWhole(await analyze(img), 'DM_ERR_NTFS_RECORD', `first: record ${record}:`);
  });

  it('without a $MFT $BITMAP the records cannot be cross-checked: read whole', async () => {
    const { img, vol } = await setup('/hiberfil.sys');
    const at = attrOffset(img, vol.mft.diskOffsetOf(0), 0xb0);
    img[at] = 0xb8; // the attribute is no longer a $BITMAP
    expectReadWhole(await analyze(img), 'DM_ERR_NTFS_BITMAP', '$MFT has no $BITMAP attribute');
  });

  it("an excluded file's clusters that another in-use file also claims (cross-linked) are kept", async () => {
    const page = clusterRanges(facts.files['/pagefile.sys']!);
    const { img, vol, record } = await setup('/hiberfil.sys');
    // hiberfil.sys's one run (118 clusters) is re-pointed into the middle of pagefile.sys.
    const shared = { offset: page[0]!.offset + 100, length: 118 };
    const at = attrOffset(img, vol.mft.diskOffsetOf(record), 0x80);
    const mp = at + (img[at + 32]! | (img[at + 33]! << 8));
    expect([...img.subarray(mp, mp + 5)]).toEqual([0x21, 118, 5428 & 0xff, 5428 >> 8, 0]);
    img.set([0x21, 118, shared.offset & 0xff, shared.offset >> 8, 0], mp);

    const a = await analyze(img, { pagefile: true, hiberfil: false, swapfile: false });
    expect(a.volumes[0]).toMatchObject({ status: 'ok' });
    expect(a.volumes[0]!.excluded).toMatchObject([{ path: '\\pagefile.sys', bytes: (293 - 118) * CS }]);
    expect(a.warnings).toEqual([
      'partition 0: exclusion "\\pagefile.sys": 118 clusters also belong to other in-use data (cross-linked): kept',
    ]);
    const skipped = extentsToClusters(a.skip, 0, CS);
    expect(overlaps(skipped, [shared])).toBe(false);
    expect(subtract(coalesce(subtract(page, [shared])), skipped)).toEqual([]);

    // Both excluded: the shared clusters belong to excluded files only, and are skipped.
    const both = await analyze(img, { pagefile: true, hiberfil: true, swapfile: false });
    expect(both.warnings).toEqual([]);
    expect(subtract(page, extentsToClusters(both.skip, 0, CS))).toEqual([]);
  });
});
