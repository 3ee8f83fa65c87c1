/**
 * openImage's format decision (issue 14, items 12 and 13): a damaged VHDX is recognised by any one
 * of its headers or region tables and refused (DM_ERR_VHDX_SIGNATURE), so is a non-VHDX named
 * .vhdx/.avhdx; `format: 'raw'` reads either as a raw disk, `format: 'vhdx'` only as VHDX. An empty
 * file is refused naming the file, and a non-regular file is DM_ERR_IO_NOT_REGULAR.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/source/open-image.js';
import {
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  REGION1_OFFSET,
  REGION2_OFFSET,
} from '../../src/source/vhdx/format/constants.js';
import { buildVhdx, MiB, pattern, scratch } from './helpers/build-vhdx.js';

const { dir, cleanup } = scratch('open-image-format');
afterAll(cleanup);

const good = buildVhdx(path.join(dir, 'good.vhdx'), { virtualSize: 2 * MiB, blockSize: MiB });

/** A copy of the good VHDX with its identifier and all marks but `keep` overwritten. */
function damaged(name: string, keep: number | undefined): string {
  const bytes = readFileSync(good.path);
  bytes.write('X', 0, 'latin1');
  for (const at of [HEADER1_OFFSET, HEADER2_OFFSET, REGION1_OFFSET, REGION2_OFFSET])
    if (at !== keep) bytes.write('ZZZZ', at, 'latin1');
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('openImage format decision', () => {
  for (const keep of [HEADER1_OFFSET, HEADER2_OFFSET, REGION1_OFFSET, REGION2_OFFSET]) {
    it(`a damaged identifier with only the structure at ${keep / 1024} KiB intact is a damaged VHDX`, async () => {
      const p = damaged(`keep-${keep}.img`, keep);
      await expect(openImage(p)).rejects.toMatchObject({ code: 'DM_ERR_VHDX_SIGNATURE' });
      const raw = await openImage(p, { format: 'raw' });
      expect(raw.format).toBe('raw');
      await raw.close();
    });
  }

  it('with every mark gone and a neutral name, it is a raw disk (nothing VHDX is left)', async () => {
    const src = await openImage(damaged('nothing-left.img', undefined));
    expect(src.format).toBe('raw');
    await src.close();
  });

  it('a raw image named .vhdx or .AVHDX is refused unless format raw', async () => {
    for (const name of ['raw.vhdx', 'raw.AVHDX']) {
      const p = path.join(dir, name);
      writeFileSync(p, pattern(MiB, 3));
      await expect(openImage(p)).rejects.toMatchObject({ code: 'DM_ERR_VHDX_SIGNATURE' });
      const src = await openImage(p, { format: 'raw' });
      expect(src.virtualSize).toBe(MiB);
      await src.close();
    }
  });

  it("format 'vhdx' refuses a raw image; a good VHDX opens either way", async () => {
    const p = path.join(dir, 'plain.img');
    writeFileSync(p, pattern(MiB, 4));
    await expect(openImage(p, { format: 'vhdx' })).rejects.toMatchObject({ code: 'DM_ERR_VHDX_SIGNATURE' });
    for (const format of ['auto', 'vhdx'] as const) {
      const src = await openImage(good.path, { format });
      expect(src.format).toBe('vhdx');
      await src.close();
    }
    const copy = path.join(dir, 'good-copy.bin');
    copyFileSync(good.path, copy);
    const src = await openImage(copy);
    expect(src.format).toBe('vhdx');
    await src.close();
  });

  it('an empty file is refused naming it; a directory is DM_ERR_IO_NOT_REGULAR', async () => {
    const empty = path.join(dir, 'empty.img');
    writeFileSync(empty, '');
    await expect(openImage(empty)).rejects.toMatchObject({
      code: 'DM_ERR_SOURCE_FORMAT_UNKNOWN',
      message: expect.stringContaining(empty),
    });
    await expect(openImage(dir)).rejects.toMatchObject({ code: 'DM_ERR_IO_NOT_REGULAR' });
  });
});
