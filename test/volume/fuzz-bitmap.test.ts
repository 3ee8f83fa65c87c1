/**
 * Fuzz of the two sources of "free" against each other (issue 14): at random, the $Bitmap says free
 * where the MFT says in use (a sub-range of a file's clusters cleared, the record left in use, or
 * marked free in only one of its header and the $MFT $BITMAP), and the reverse (free clusters marked
 * in use; a file deleted in the MFT, both header and $MFT $BITMAP, with its clusters still marked in
 * use). Property: no file data is lost — every cluster of a file that either MFT source keeps in use,
 * and every cluster the mutated $Bitmap marks in use, stays out of the skip ranges; the volume is read
 * whole exactly when an in-use file lost $Bitmap bits, and the warning counts and names those files.
 *
 * Oracles independent of the reader under test: the generator's manifest (every file's clusters as
 * written), and ntfs-3g's runlists for the c512 fixture (facts.json: sparse, compressed, files whose
 * runs span extension records).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDisk } from '../../src/fixtures/generate-disk.js';
import type { PlannedFile } from '../../src/fixtures/guest/plan-files.js';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { resolvePath } from '../../src/volume/ntfs/files.js';
import { simpleFold } from '../../src/volume/ntfs/upcase.js';
import { coalesce, overlaps, subtract, totalLength } from '../../src/volume/ranges.js';
import type { ByteRange } from '../../src/volume/ranges.js';
import { tempDir } from '../job/disk-helpers.js';
import { attributeClusters, setClusterBits, setMftBitmapBit, setRecordInUse } from './helpers/bitmap-edit.js';
import { loadFixture } from './helpers/disk-builder.js';
import { clusterRanges, extentsToClusters } from './helpers/expect-runs.js';
import { openImage } from './helpers/mutate.js';
import { memorySource } from './helpers/sources.js';

const NO_SWAP = { pagefile: false, hiberfil: false, swapfile: false };

interface OracleFile {
  readonly path: string;
  readonly record: number;
  /** Volume cluster ranges, sorted and coalesced. */
  readonly clusters: ByteRange[];
  /** Whether its MFT side may be mutated (no extension records that would stay in use). */
  readonly mftEditable: boolean;
}

interface Corpus {
  readonly image: Uint8Array;
  readonly volOffset: number;
  readonly volLength: number;
  readonly clusterSize: number;
  readonly files: OracleFile[];
}

type Mutation =
  | { kind: 'clear'; file: number; start: number; len: number; mft: 'none' | 'bitmap' | 'header' | 'both' }
  | { kind: 'mark'; at: number; len: number }
  | { kind: 'delete'; file: number };

const mutationArb = (files: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('clear' as const),
      file: fc.nat({ max: files - 1 }),
      start: fc.nat(),
      len: fc.integer({ min: 1, max: 64 }),
      mft: fc.constantFrom(
        'none' as const,
        'none' as const,
        'bitmap' as const,
        'header' as const,
        'both' as const,
      ),
    }),
    fc.record({ kind: fc.constant('mark' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 300 }) }),
    fc.record({ kind: fc.constant('delete' as const), file: fc.nat({ max: files - 1 }) }),
  );

/** Clusters [start, start + len) counted within a file's sorted ranges, wrapping `start`. */
function subRange(ranges: readonly ByteRange[], start: number, len: number): ByteRange[] {
  const total = totalLength(ranges);
  let skip = start % total;
  let want = Math.min(len, total - skip);
  const out: ByteRange[] = [];
  for (const r of ranges) {
    if (want === 0) break;
    if (skip >= r.length) {
      skip -= r.length;
      continue;
    }
    const n = Math.min(want, r.length - skip);
    out.push({ offset: r.offset + skip, length: n });
    want -= n;
    skip = 0;
  }
  return out;
}

async function fuzz(c: Corpus, runs: number, seed: number): Promise<{ readWhole: number; ok: number }> {
  const cs = c.clusterSize;
  const vol = await openImage(c.image, 512, c.volOffset, c.volLength);
  const analyze = (img: Uint8Array) => analyzeDisk(memorySource(img), { excludeSwap: NO_SWAP });
  const toClusters = (skip: readonly ByteRange[]) => extentsToClusters(skip, c.volOffset, cs);
  const baseline = await analyze(c.image);
  expect(baseline.volumes[0]).toMatchObject({ status: 'ok' });
  const pristineFree = toClusters(baseline.skip);
  const tally = { readWhole: 0, ok: 0 };
  // One working copy; after each run the only regions mutations touch are copied back.
  const img = c.image.slice();
  const touched: ByteRange[] = [];
  for (const [rec, type] of [
    [6, 0x80],
    [0, 0x80],
    [0, 0xb0],
  ] as const) {
    for (const r of await attributeClusters(vol, rec, type))
      touched.push({ offset: c.volOffset + r.offset * cs, length: r.length * cs });
  }

  await fc.assert(
    fc.asyncProperty(fc.array(mutationArb(c.files.length), { minLength: 1, maxLength: 5 }), async (muts) => {
      for (const r of touched) img.set(c.image.subarray(r.offset, r.offset + r.length), r.offset);
      const cleared = new Map<number, ByteRange[]>();
      const mftFree = new Map<number, { bitmap: boolean; header: boolean }>();
      const marked: ByteRange[] = [];
      const mftSide = (f: number, bitmap: boolean, header: boolean): void => {
        if (!c.files[f]!.mftEditable) return;
        const s = mftFree.get(f) ?? { bitmap: false, header: false };
        mftFree.set(f, { bitmap: s.bitmap || bitmap, header: s.header || header });
      };
      for (const m of muts) {
        if (m.kind === 'clear') {
          const part = subRange(c.files[m.file]!.clusters, m.start, m.len);
          cleared.set(m.file, [...(cleared.get(m.file) ?? []), ...part]);
          mftSide(m.file, m.mft === 'bitmap' || m.mft === 'both', m.mft === 'header' || m.mft === 'both');
        } else if (m.kind === 'mark') {
          const big = pristineFree.filter((r) => r.length >= 2);
          const r = big[m.at % big.length]!;
          const off = m.at % r.length;
          marked.push({ offset: r.offset + off, length: Math.min(m.len, r.length - off) });
        } else mftSide(m.file, true, true);
      }
      for (const ranges of cleared.values()) await setClusterBits(img, vol, ranges, false, c.volOffset);
      await setClusterBits(img, vol, marked, true, c.volOffset);
      for (const [f, s] of mftFree) {
        if (s.bitmap) await setMftBitmapBit(img, vol, c.files[f]!.record, false, c.volOffset);
        if (s.header) setRecordInUse(img, vol, c.files[f]!.record, false);
      }

      const deleted = (f: number): boolean => {
        const s = mftFree.get(f);
        return s !== undefined && s.bitmap && s.header;
      };
      // Clusters whose loss is legitimate: $Bitmap and both MFT sources say free.
      const legit = coalesce([...cleared].filter(([f]) => deleted(f)).flatMap(([, r]) => r));
      const lost = [...cleared]
        .filter(([f]) => !deleted(f))
        .map(([f, r]) => ({ f, n: totalLength(coalesce(r)) }))
        .filter((x) => x.n > 0);
      const mustKeep = coalesce([
        ...c.files.flatMap((f, i) => (deleted(i) ? subtract(f.clusters, legit) : f.clusters)),
        ...marked,
      ]);

      const a = await analyze(img);
      const skipped = toClusters(a.skip);
      // No file data lost, and no cluster the mutated $Bitmap marks in use skipped.
      expect(overlaps(skipped, mustKeep)).toBe(false);
      const disagree = [...mftFree.values()].filter((s) => s.bitmap !== s.header).length;
      const text = a.warnings.join('\n');
      if (disagree > 0) expect(text).toContain(`disagree on ${disagree} record(s)`);
      if (lost.length > 0) {
        tally.readWhole++;
        expect(a.volumes[0]).toMatchObject({ status: 'invalid', error: { code: 'DM_ERR_NTFS_BITMAP' } });
        expect(a.skip).toEqual([]);
        const clusters = lost.reduce((s, x) => s + x.n, 0);
        expect(text).toMatch(new RegExp(`marks ${clusters} in-use clusters? of ${lost.length} files? free`));
        if (lost.length <= 3)
          for (const x of lost) expect(text).toMatch(new RegExp(`MFT record ${c.files[x.f]!.record}[ :]`));
      } else {
        tally.ok++;
        expect(a.volumes[0]).toMatchObject({ status: 'ok' });
        // Exactly the pristine free space, less what was marked, plus what was legitimately freed.
        expect(skipped).toEqual(coalesce([...subtract(pristineFree, coalesce(marked)), ...legit]));
        if (disagree === 0) expect(a.warnings).toEqual([]);
      }
    }),
    { numRuns: runs, seed },
  );
  return tally;
}

const KiB = 1024;

/** A small guest tree: fragmented and contiguous files in nested directories. */
function guestFiles(): PlannedFile[] {
  const out: PlannedFile[] = [];
  const kinds = ['program', 'document', 'media', 'zero-runs'] as const;
  for (let i = 0; i < 24; i++) {
    out.push({
      path: i % 3 === 0 ? [`f${i}.bin`] : ['Users', `u${i % 4}`, `file-${i}.dat`],
      kind: kinds[i % kinds.length]!,
      size: 5 * KiB + i * 20 * KiB,
      contentId: `c${i}`,
      fragments: 1 + (i % 3),
      alignMiB: false,
    });
  }
  out.push({
    path: ['pagefile.sys'],
    kind: 'pagefile',
    size: 1024 * KiB,
    contentId: 'p',
    fragments: 2,
    alignMiB: false,
  });
  return out;
}

describe('fuzz: $Bitmap and MFT disagree, at random, both ways', () => {
  let t: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    t = await tempDir('dm-fuzz-bitmap-');
  });
  afterAll(() => t.cleanup());

  it('a generated volume (manifest oracle): no in-use file data is ever skipped', async () => {
    const out = join(t.dir, 'g.raw');
    const m = await generateDisk({
      out,
      seed: 14,
      diskSize: 24 * 1024 * 1024,
      format: 'raw',
      files: guestFiles(),
    });
    const files = m.files
      .filter((f) => f.extents.length > 0)
      .map((f) => ({
        path: f.path,
        record: f.mftRecord,
        clusters: coalesce(f.extents.map((e) => ({ offset: e.lcn, length: e.clusters }))),
        mftEditable: true,
      }));
    expect(files.length).toBeGreaterThan(20);
    const tally = await fuzz(
      {
        image: new Uint8Array(await readFile(out)),
        volOffset: m.volume.offset,
        volLength: m.volume.length,
        clusterSize: m.volume.clusterSize,
        files,
      },
      120,
      1414,
    );
    // Both outcomes were exercised.
    expect(tally.readWhole).toBeGreaterThan(10);
    expect(tally.ok).toBeGreaterThan(10);
  });

  it('the ntfs-3g c512 fixture (ntfsinfo oracle): no in-use file data is ever skipped', async () => {
    const { image, facts } = loadFixture('c512');
    const vol = await openImage(image);
    const files: OracleFile[] = [];
    for (const [path, runs] of Object.entries(facts.files)) {
      const record = (await resolvePath(vol.mft, simpleFold, path)).record;
      const clusters = clusterRanges(runs);
      if (clusters.length === 0) continue;
      const hasList = (await vol.mft.readRecord(record)).attributes.some((a) => a.type === 0x20);
      files.push({ path, record, clusters, mftEditable: !hasList });
    }
    expect(files.some((f) => !f.mftEditable)).toBe(true);
    const tally = await fuzz(
      { image, volOffset: 0, volLength: image.length, clusterSize: facts.clusterSize, files },
      120,
      20261411,
    );
    expect(tally.readWhole).toBeGreaterThan(10);
    expect(tally.ok).toBeGreaterThan(10);
  });
});
