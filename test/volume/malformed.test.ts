/**
 * Malformed NTFS volumes: each gives a typed error from the reader, and from analyzeDisk a read-whole
 * fallback (no skip ranges) with a warning naming the code. Never a crash, never a skipped in-use cluster.
 */
import { describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { fileClusters, resolvePath } from '../../src/volume/ntfs/files.js';
import { simpleFold } from '../../src/volume/ntfs/upcase.js';
import { decodeRunlist } from '../../src/volume/ntfs/runlist.js';
import { applyFixups } from '../../src/volume/ntfs/fixup.js';
import { diskWith, loadFixture, writeMbr } from './helpers/disk-builder.js';
import { attrOffset, openImage, write64 } from './helpers/mutate.js';
import { memorySource } from './helpers/sources.js';

const { image: pristine, facts } = loadFixture('c512');

async function expectReadWhole(image: Uint8Array, code: ErrorCode, exclude: string[] = []): Promise<void> {
  const a = await analyzeDisk(memorySource(image), { exclude });
  const v = a.volumes[0]!;
  expect(v.status).toBe('invalid');
  expect(v.error?.code).toBe(code);
  expect(a.skip).toEqual([]);
  expect(a.warnings.join('\n')).toContain(code);
}

async function setup(): Promise<{ img: Uint8Array; rec: (n: number) => number }> {
  const img = pristine.slice();
  const vol = await openImage(img);
  return { img, rec: (n) => vol.mft.diskOffsetOf(n) };
}

describe('malformed NTFS', () => {
  it('a torn record (fixup mismatch) in $Bitmap', async () => {
    const { img, rec } = await setup();
    img[rec(6) + 510] = img[rec(6) + 510]! ^ 0xff;
    const vol = await openImage(pristine.slice());
    expect(vol.mft.recordCount).toBeGreaterThan(16);
    await expect(openImage(img).then((v) => v.mft.readRecord(6))).rejects.toSatisfy((e) =>
      isDmError(e, 'DM_ERR_NTFS_FIXUP'),
    );
    await expectReadWhole(img, 'DM_ERR_NTFS_FIXUP');
  });

  it('fixup validation rejects a bad update sequence array', () => {
    const rec = new Uint8Array(1024);
    rec.set([0x46, 0x49, 0x4c, 0x45, 48, 0, 5, 0]);
    expect(() => applyFixups(rec, {})).toThrow(/update sequence array/);
  });

  it('a $Bitmap runlist pointing past the volume', async () => {
    const { img, rec } = await setup();
    const a = attrOffset(img, rec(6), 0x80);
    const mp = a + (img[a + 32]! | (img[a + 33]! << 8));
    const header = img[mp]!;
    const lenBytes = header & 0xf;
    const lcnBytes = header >> 4;
    img[mp + lenBytes + lcnBytes] = 0x40; // top LCN byte: far past the volume end
    await expectReadWhole(img, 'DM_ERR_NTFS_RUNLIST');
  });

  it('runlist decoding: zero length, missing terminator, VCN mismatch, LCN overflow', () => {
    const where = { file: 't' };
    expect(() => decodeRunlist(Uint8Array.of(0x20, 5, 0, 0), 0, 0, 100, where)).toThrow(/header/);
    expect(() => decodeRunlist(Uint8Array.of(0x11, 0, 5), 0, 0, 100, where)).toThrow(/not positive/);
    expect(() => decodeRunlist(Uint8Array.of(0x11, 4, 5), 0, 3, 100, where)).toThrow(/terminator/);
    expect(() => decodeRunlist(Uint8Array.of(0x11, 4, 5, 0), 0, 9, 100, where)).toThrow(/highest VCN/);
    expect(() => decodeRunlist(Uint8Array.of(0x11, 4, 0x7f, 0x11, 4, 0x7f, 0), 0, 7, 200, where)).toThrow(
      /outside the volume/,
    );
    expect(() =>
      decodeRunlist(Uint8Array.of(0x81, 4, 1, 2, 3, 4, 5, 6, 7, 0x7f, 0), 0, 3, 200, where),
    ).toThrow(/outside/);
    // A sparse run followed by a real one; negative deltas.
    expect(decodeRunlist(Uint8Array.of(0x11, 2, 50, 0x01, 3, 0x11, 1, 0xf6, 0), 0, 5, 100, where)).toEqual([
      { vcn: 0, lcn: 50, length: 2 },
      { vcn: 2, lcn: -1, length: 3 },
      { vcn: 5, lcn: 40, length: 1 },
    ]);
  });

  it('an attribute list naming a record of another file, and an absurd attribute list size', async () => {
    const { img, rec } = await setup();
    const vol = await openImage(img);
    const frag = (await resolvePath(vol.mft, simpleFold, '\\frag_a.bin')).record;
    const ok = await fileClusters(vol.mft, frag);
    expect(ok.runs.length).toBeGreaterThan(500);
    // Point frag_a's first extension record at another base record (as a cross-linked / cyclic list would).
    const fragB = (await resolvePath(vol.mft, simpleFold, '\\frag_b.bin')).record;
    const al = attrOffset(img, rec(frag), 0x20);
    const alRuns = await listExtensionRecords(img, al);
    const ext = alRuns.find((r) => r !== frag)!;
    write64(img, rec(ext) + 32, fragB); // base_mft_record of the extension
    await expect(openImage(img).then((v) => fileClusters(v.mft, frag))).rejects.toSatisfy((e) =>
      isDmError(e, 'DM_ERR_NTFS_ATTRLIST'),
    );
    await expectReadWhole(img, 'DM_ERR_NTFS_ATTRLIST', ['\\frag_a.bin']);

    const big = pristine.slice();
    write64(big, al + 48, 64 * 1024 * 1024); // data_size
    await expectReadWhole(big, 'DM_ERR_NTFS_ATTRLIST', ['\\frag_a.bin']);
  });

  it('a truncated $MFT (data size below the system files) and a truncated image', async () => {
    const { img, rec } = await setup();
    const a = attrOffset(img, rec(0), 0x80);
    write64(img, a + 48, 8 * 1024);
    write64(img, a + 56, 8 * 1024);
    await expectReadWhole(img, 'DM_ERR_NTFS_RECORD');
    // Half the image: the volume no longer fits, the disk is still NTFS at sector 0.
    const half = pristine.slice(0, pristine.length / 2);
    const r = await analyzeDisk(memorySource(half));
    expect(r.volumes[0]!.status).toBe('invalid');
    expect(r.skip).toEqual([]);
  });

  it('a $Bitmap shorter than the volume', async () => {
    const { img, rec } = await setup();
    const a = attrOffset(img, rec(6), 0x80);
    write64(img, a + 48, 100);
    write64(img, a + 56, 100);
    await expectReadWhole(img, 'DM_ERR_NTFS_BITMAP');
  });

  it('a $Bitmap that marks $MFT clusters free is not trusted', async () => {
    const { img } = await setup();
    const vol = await openImage(pristine);
    const bitmap = await fileClusters(vol.mft, 6);
    const mftLcn = vol.boot.mftLcn;
    const byte = bitmap.runs[0]!.lcn * facts.clusterSize + (mftLcn >> 3);
    img[byte]! &= ~(1 << (mftLcn & 7));
    await expectReadWhole(img, 'DM_ERR_NTFS_BITMAP');
  });

  it('a dirty volume is read whole with status dirty', async () => {
    const { img, rec } = await setup();
    const a = attrOffset(img, rec(3), 0x70);
    const value = a + (img[a + 20]! | (img[a + 21]! << 8));
    img[value + 10]! |= 0x01;
    const r = await analyzeDisk(memorySource(img));
    expect(r.volumes[0]).toMatchObject({ status: 'dirty', clustersInUse: facts.clustersInUse });
    expect(r.skip).toEqual([]);
    expect(r.warnings.join()).toMatch(/dirty.*read whole/);
  });

  it('a garbage primary boot sector falls back to the backup; both garbage is invalid', async () => {
    const lss = 512;
    const vsec = pristine.length / lss;
    const disk = diskWith((vsec + 2048 + 8) * lss, pristine, 2048 * lss);
    writeMbr(disk, 0, [{ type: 0x07, startLba: 2048, sectors: vsec }]);
    const good = await analyzeDisk(memorySource(disk));
    for (let i = 11; i < 100; i++) disk[2048 * lss + i] = (i * 37) & 0xff; // keep OEM ID, garble the BPB
    const a = await analyzeDisk(memorySource(disk));
    expect(a.volumes[0]!.status).toBe('ok');
    expect(a.volumes[0]!.warnings[0]).toMatch(/primary boot sector invalid.*using the backup/);
    expect(a.skip).toEqual(good.skip);
    const last = (2048 + vsec - 1) * lss;
    disk.fill(0x5a, last + 11, last + 100);
    const b = await analyzeDisk(memorySource(disk));
    expect(b.volumes[0]).toMatchObject({ status: 'invalid', error: { code: 'DM_ERR_NTFS_BOOT' } });
    expect(b.skip).toEqual([]);
  });

  it('a backup boot sector that disagrees gives a warning only', async () => {
    const img = pristine.slice();
    img[img.length - 512 + 72] = img[img.length - 512 + 72]! ^ 0xff; // serial number
    const a = await analyzeDisk(memorySource(img));
    expect(a.volumes[0]!.status).toBe('ok');
    expect(a.warnings.join()).toMatch(/backup boot sector differs .*serial/);
  });

  it('a stale directory entry (record reused: sequence differs) is never excluded', async () => {
    const { img, rec } = await setup();
    const vol = await openImage(pristine);
    const pf = await resolvePath(vol.mft, simpleFold, '\\pagefile.sys');
    expect(pf.sequence).toBeGreaterThan(0);
    img[rec(pf.record) + 16] = (pf.sequence + 1) & 0xff;
    await expect(openImage(img).then((v) => fileClusters(v.mft, pf.record, pf.sequence))).rejects.toSatisfy(
      (e) => isDmError(e, 'DM_ERR_NTFS_RECORD'),
    );
    await expectReadWhole(img, 'DM_ERR_NTFS_RECORD');
  });

  it('a torn INDX block of a directory being excluded', async () => {
    const { img } = await setup();
    const vol = await openImage(pristine);
    const users = await resolvePath(vol.mft, simpleFold, '\\Users\\bob\\tmp');
    const { attributes } = await vol.mft.attributes(5);
    const alloc = await vol.mft.stream(attributes, 0xa0, '$I30');
    expect(users.isDirectory).toBe(true);
    expect(alloc?.runs.length).toBeGreaterThan(0);
    const at = alloc!.runs[0]!.lcn * facts.clusterSize;
    img[at + 1022] = img[at + 1022]! ^ 0xff;
    await expectReadWhole(img, 'DM_ERR_NTFS_FIXUP', ['\\Users\\bob\\tmp']);
  });
});

/** Record numbers an on-disk attribute list (non-resident in this fixture) names. */
async function listExtensionRecords(img: Uint8Array, al: number): Promise<number[]> {
  const mp = al + (img[al + 32]! | (img[al + 33]! << 8));
  const runs = decodeRunlist(img.subarray(mp, al + (img[al + 4]! | (img[al + 5]! << 8))), 0, 0, 1 << 30, {});
  const size = img[al + 48]! | (img[al + 49]! << 8);
  const list = img.subarray(runs[0]!.lcn * facts.clusterSize, runs[0]!.lcn * facts.clusterSize + size);
  const out: number[] = [];
  for (let p = 0; p < list.length;) {
    out.push(list[p + 16]! | (list[p + 17]! << 8) | (list[p + 18]! << 16));
    p += list[p + 4]! | (list[p + 5]! << 8);
  }
  return out;
}
