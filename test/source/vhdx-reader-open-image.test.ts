/** openImage: content sniffing (VHDX, raw, refused containers) and the raw source behind DiskSource. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/source/open-image.js';
import { BatState } from '../../src/source/vhdx/format/constants.js';
import { buildVhdx, MiB, pattern, scratch } from './helpers/build-vhdx.js';

const { dir, cleanup } = scratch('open-image');
afterAll(cleanup);

describe('openImage', () => {
  it('opens VHDX by its signature and exposes info', async () => {
    const img = buildVhdx(path.join(dir, 'disk.img'), {
      virtualSize: 3 * MiB,
      blockSize: MiB,
      blocks: new Map([[1, { state: BatState.FullyPresent }]]),
    });
    const src = await openImage(img.path, { io: 'sync' });
    expect(src.format).toBe('vhdx');
    expect(src.info?.payloadStates.fullyPresent).toBe(1);
    const buf = new Uint8Array(MiB);
    await src.read(buf, MiB);
    expect(Buffer.compare(buf, pattern(MiB, 1001))).toBe(0);
    await src.close();
  });

  for (const io of ['async', 'sync'] as const) {
    it(`reads raw images (${io}) and reports them wholly present`, async () => {
      const data = pattern(MiB + 512, 9);
      const file = path.join(dir, `plain-${io}.raw`);
      writeFileSync(file, data);
      const src = await openImage(file, { io });
      expect(src.format).toBe('raw');
      expect(src.info).toBeUndefined();
      expect(src.virtualSize).toBe(data.length);
      const buf = new Uint8Array(4096);
      await src.read(buf, 1000, 3000, 96);
      expect(Buffer.compare(buf.subarray(96, 3096), data.subarray(1000, 4000))).toBe(0);
      expect([...src.extents(10, 20)]).toEqual([{ offset: 10, length: 20, kind: 'present' }]);
      await expect(src.read(buf, data.length - 10, 11)).rejects.toMatchObject({
        code: 'DM_ERR_SOURCE_RANGE',
      });
      await expect(src.read(buf, 0, 4096, 1)).rejects.toMatchObject({ code: 'DM_ERR_ARG_INVALID' });
      expect(() => src.extents(0, data.length + 1)).toThrow(
        expect.objectContaining({ code: 'DM_ERR_SOURCE_RANGE' }),
      );
      await src.close();
    });
  }

  it('refuses container formats it does not read, and missing files', async () => {
    const file = path.join(dir, 'x.qcow2');
    writeFileSync(file, Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(1000)]));
    await expect(openImage(file)).rejects.toMatchObject({ code: 'DM_ERR_SOURCE_FORMAT_UNKNOWN' });
    await expect(openImage(path.join(dir, 'missing.vhdx'))).rejects.toMatchObject({ code: 'DM_ERR_IO_OPEN' });
  });
});
