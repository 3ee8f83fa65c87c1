/**
 * Messages name what a 64-bit field holds (issue 14, item 14: "total sectors Infinity"): the range
 * checks see values beyond 2^53 as ±Infinity, the messages print the field's exact value.
 */
import { describe, expect, it } from 'vitest';
import { parseBootSector } from '../../src/volume/ntfs/boot-sector.js';
import { loadFixture } from './helpers/disk-builder.js';

const { image } = loadFixture('c512');

function bootWith(offset: number, value: bigint): Uint8Array {
  const b = image.slice(0, 512);
  new DataView(b.buffer).setBigInt64(offset, value, true);
  return b;
}

describe('boot sector messages', () => {
  it('the pristine boot sector parses (the mutations below are the only fault)', () => {
    expect(parseBootSector(image.slice(0, 512), 0, 'c512').totalSectors).toBeGreaterThan(0);
  });

  for (const [field, offset, value] of [
    ['total sectors', 40, 2n ** 60n],
    ['total sectors', 40, -(2n ** 60n)],
    ['$MFT LCN', 48, 2n ** 62n],
    ['$MFTMirr LCN', 56, -(2n ** 55n)],
  ] as const) {
    it(`${field} = ${value}: the message prints ${value}, not Infinity`, () => {
      let message = '';
      try {
        parseBootSector(bootWith(offset, value), 0, 'c512');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(`${field} ${value} `);
      expect(message).not.toContain('Infinity');
    });
  }
});
