/**
 * Mutation fuzz of a valid volume's boot sector, $MFT records 0–23 and root index. Property: analyzeDisk
 * never throws, and when a volume still analyses "ok" its skip ranges lie wholly inside the clusters
 * the unmutated $Bitmap marks free (the bitmap's own bytes are not mutated, so this is the sound bar).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { coalesce, subtract } from '../../src/volume/ranges.js';
import { diskWith, loadFixture, writeGpt, writeMbr } from './helpers/disk-builder.js';
import { openImage } from './helpers/mutate.js';
import { memorySource } from './helpers/sources.js';

const NO_SWAP = { pagefile: false, hiberfil: false, swapfile: false };

describe('fuzz: mutated boot sector and MFT records', () => {
  it('never crashes and never skips a cluster the pristine $Bitmap marks in use', async () => {
    const { image: pristine } = loadFixture('c512');
    const vol = await openImage(pristine);
    const mftStart = vol.mft.diskOffsetOf(0);
    const rootIndex = (await vol.mft.stream((await vol.mft.attributes(5)).attributes, 0xa0, '$I30'))!
      .runs[0]!;
    const regions = [
      { start: 0, length: 512 },
      { start: mftStart, length: 24 * vol.boot.mftRecordSize },
      { start: rootIndex.lcn * vol.boot.clusterSize, length: vol.boot.indexRecordSize },
    ];
    const baseline = await analyzeDisk(memorySource(pristine), { excludeSwap: NO_SWAP });
    expect(baseline.volumes[0]!.status).toBe('ok');
    const pristineFree = coalesce(baseline.skip);
    const outcomes = { ok: 0, readWhole: 0 };

    const mutation = fc.record({
      region: fc.nat({ max: regions.length - 1 }),
      at: fc.nat(),
      value: fc.nat({ max: 255 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), async (muts) => {
        const img = pristine.slice();
        for (const m of muts) {
          const r = regions[m.region]!;
          img[r.start + (m.at % r.length)] = m.value;
        }
        const a = await analyzeDisk(memorySource(img), { excludeSwap: NO_SWAP });
        const v = a.volumes[0];
        if (v?.status === 'ok') {
          outcomes.ok++;
          expect(subtract(a.skip, pristineFree)).toEqual([]);
        } else {
          outcomes.readWhole++;
          expect(a.skip).toEqual([]);
          expect(a.warnings.length).toBeGreaterThan(0);
          // Only catalogued errors: an internal error here would be a reader bug.
          expect(v?.error?.code ?? 'none').not.toBe('DM_ERR_INTERNAL');
        }
      }),
      { numRuns: 300, seed: 20261122 },
    );
    expect(outcomes.ok + outcomes.readWhole).toBe(300);
    expect(outcomes.readWhole).toBeGreaterThan(0);
  });

  it('mutated MBR / EBR / GPT sectors: never a crash, never a skip outside the pristine skip ranges', async () => {
    const { image } = loadFixture('s4k');
    const lss = 4096;
    const vsec = image.length / lss;
    const mbr = diskWith((vsec + 64) * lss, image, 40 * lss);
    writeMbr(mbr, 0, [{ type: 0x05, startLba: 8, sectors: vsec + 40 }]);
    writeMbr(mbr, 8 * lss, [{ type: 0x07, startLba: 32, sectors: vsec }]);
    const gpt = diskWith((vsec + 64) * lss, image, 40 * lss);
    writeGpt(gpt, lss, [{ firstLba: 40, lastLba: 40 + vsec - 1 }]);
    const cases = [
      {
        disk: mbr,
        regions: [
          { start: 0, length: lss },
          { start: 8 * lss, length: lss },
        ],
      },
      {
        disk: gpt,
        regions: [
          { start: 0, length: 3 * lss },
          { start: gpt.length - 2 * lss, length: 2 * lss },
        ],
      },
    ];
    for (const c of cases) {
      const pristine = await analyzeDisk(memorySource(c.disk, lss), { excludeSwap: NO_SWAP });
      expect(pristine.volumes.map((v) => v.status)).toEqual(['ok']);
      const mutation = fc.record({
        region: fc.nat({ max: c.regions.length - 1 }),
        at: fc.nat(),
        value: fc.nat({ max: 255 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (muts) => {
          const disk = c.disk.slice();
          for (const m of muts) {
            const r = c.regions[m.region]!;
            disk[r.start + (m.at % r.length)] = m.value;
          }
          const a = await analyzeDisk(memorySource(disk, lss), { excludeSwap: NO_SWAP });
          expect(subtract(a.skip, pristine.skip)).toEqual([]);
        }),
        { numRuns: 150, seed: 4096 },
      );
    }
  });
});
