/**
 * Issue 14 item 3: a $Bitmap that marks an in-use file's clusters free must not make BitLooker drop
 * them. A volume made by mkntfs + ntfscp (a 9 MiB file, a file with a 2 MiB named stream); the
 * $Bitmap bits of one file's clusters are cleared while its MFT record stays intact (ntfs-3g still
 * reads it). Backup + restore through the library must give the file's bytes back (ntfscat), and the
 * result must carry a warning naming the file and the cluster count.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, restore } from '../../src/index.js';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { resolvePath } from '../../src/volume/ntfs/files.js';
import { simpleFold } from '../../src/volume/ntfs/upcase.js';
import { coalesce, overlaps, subtract, totalLength } from '../../src/volume/ranges.js';
import type { ByteRange } from '../../src/volume/ranges.js';
import { ntfscat } from '../fixtures/helpers.js';
import { hasTool } from '../helpers/tools.js';
import { tempDir } from '../job/disk-helpers.js';
import { attributeClusters, setClusterBits } from './helpers/bitmap-edit.js';
import { extentsToClusters } from './helpers/expect-runs.js';
import { openImage } from './helpers/mutate.js';
import { memorySource } from './helpers/sources.js';

const MiB = 1024 * 1024;
const CS = 4096;
const VOLUME_BYTES = 64 * MiB;
const BIG = randomBytes(9 * MiB);
const NOTES = randomBytes(MiB + 321);
const EXTRA = randomBytes(2 * MiB + 5);

describe.skipIf(!hasTool('mkntfs') || !hasTool('ntfscp') || !hasTool('ntfscat'))(
  '$Bitmap cross-checked against in-use MFT records (mkntfs + ntfscp volume)',
  () => {
    let t: { dir: string; cleanup: () => Promise<void> };
    let pristine: Uint8Array;
    beforeAll(async () => {
      t = await tempDir('dm-bitmap-xcheck-');
      const vol = join(t.dir, 'vol.img');
      await writeFile(vol, new Uint8Array(VOLUME_BYTES));
      execFileSync('mkntfs', ['-F', '-Q', '-q', '-c', String(CS), '-s', '512', '-L', 'X', vol], {
        stdio: 'ignore',
      });
      const put = async (data: Buffer, dest: string, stream?: string): Promise<void> => {
        const local = join(t.dir, 'host.bin');
        await writeFile(local, data);
        execFileSync('ntfscp', ['-f', ...(stream ? ['-N', stream] : []), vol, local, dest], {
          stdio: 'ignore',
        });
      };
      await put(BIG, '/big.bin');
      await put(NOTES, '/notes.bin');
      await put(EXTRA, '/notes.bin', 'extra');
      pristine = new Uint8Array(await readFile(vol));
    });
    afterAll(() => t.cleanup());

    /** The pristine volume, its reader, and a file's base record number. */
    async function volumeWith(path: string): Promise<{
      img: Uint8Array;
      vol: Awaited<ReturnType<typeof openImage>>;
      record: number;
    }> {
      const vol = await openImage(pristine);
      return { img: pristine.slice(), vol, record: (await resolvePath(vol.mft, simpleFold, path)).record };
    }

    it('backup + restore: a 9 MiB file whose $Bitmap bits are cleared comes back whole, with a warning naming it', async () => {
      const { img, vol, record } = await volumeWith('/big.bin');
      const clusters = await attributeClusters(vol, record, 0x80);
      expect(totalLength(clusters)).toBe(BIG.length / CS);
      await setClusterBits(img, vol, clusters, false);
      // The MFT record is untouched: ntfs-3g still reads the file.
      const image = join(t.dir, 'bad.img');
      await writeFile(image, img);
      expect(Buffer.compare(ntfscat(image, '/big.bin'), BIG)).toBe(0);

      const repo = join(t.dir, 'repo');
      const r = await backup({ repo, disk: image, vm: 'x', threads: 0 });
      const v = r.bitlooker.volumes[0]!;
      expect(v).toMatchObject({ kind: 'ntfs', status: 'invalid', readWhole: true });
      expect(r.bitlooker.skippedBytes).toBe(0);
      const named = r.warnings.filter((w) => w.includes('DM_ERR_NTFS_BITMAP'));
      expect(named).toHaveLength(1);
      expect(named[0]).toContain(`MFT record ${record} (\\big.bin): ${BIG.length / CS} clusters`);
      expect(named[0]).toMatch(/volume read whole$/);

      const out = join(t.dir, 'restored.img');
      await restore({ repo, vm: 'x', out });
      expect(Buffer.compare(ntfscat(out, '/big.bin'), BIG), '/big.bin restored').toBe(0);
      expect(Buffer.compare(ntfscat(out, '/notes.bin'), NOTES)).toBe(0);
    });

    it("a named stream's clusters marked free: the volume is read whole, naming the file", async () => {
      const { img, vol, record } = await volumeWith('/notes.bin');
      const ads = await attributeClusters(vol, record, 0x80, 'extra');
      // Only a part of the stream: one cluster is enough to drop data.
      await setClusterBits(img, vol, [{ offset: ads[0]!.offset + 3, length: 1 }], false);
      const a = await analyzeDisk(memorySource(img), { excludeSwap: NO_SWAP });
      expect(a.volumes[0]).toMatchObject({ status: 'invalid', error: { code: 'DM_ERR_NTFS_BITMAP' } });
      expect(a.skip).toEqual([]);
      expect(a.warnings.join('\n')).toContain(`MFT record ${record} (\\notes.bin): 1 cluster)`);
    });

    it('the reverse (free clusters marked in use) keeps them, and the volume still analyses ok', async () => {
      const { img, vol } = await volumeWith('/big.bin');
      const before = await analyzeDisk(memorySource(pristine), { excludeSwap: NO_SWAP });
      const free = extentsToClusters(before.skip, 0, CS);
      const small = free.find((r) => r.length >= 5)!;
      const large = free.findLast((r) => r.length >= 317)!;
      expect(large).not.toBe(small);
      const marked: ByteRange[] = [
        { offset: small.offset, length: 5 },
        { offset: large.offset + 17, length: 300 },
      ];
      await setClusterBits(img, vol, marked, true);
      const a = await analyzeDisk(memorySource(img), { excludeSwap: NO_SWAP });
      expect(a.volumes[0]).toMatchObject({
        status: 'ok',
        clustersInUse: before.volumes[0]!.clustersInUse + 305,
      });
      const skipped = extentsToClusters(a.skip, 0, CS);
      expect(overlaps(skipped, coalesce(marked))).toBe(false);
      expect(skipped).toEqual(subtract(free, coalesce(marked)));
    });
  },
);

const NO_SWAP = { pagefile: false, hiberfil: false, swapfile: false };
