import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crcNative, crc32cNative, ownAddon } from '../../src/core/native.js';

const addon = ownAddon();
// The install step builds the addon; CI must have it (a silent fallback would hide a broken build).
if (process.env['CI'] === 'true' && !addon?.crc32c)
  throw new Error(
    'CI=true but build/Release/datamover_native.node did not load: `npm ci` should have built it',
  );

const reference = (data: Uint8Array, seed?: number) => crcNative().crc32c(data as Buffer, seed) >>> 0;

describe.runIf(addon?.crc32c)('own CRC-32C addon (native/crc32c.c)', () => {
  const own = addon!.crc32c!;

  it('gives the catalogue check value and serves crc32cNative', () => {
    expect(own(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32cNative()).toBe(own);
  });

  it('equals @node-rs/crc32 on every length around its stream boundaries, at any alignment and seed', () => {
    const data = new Uint8Array(3 * 8192 * 2 + 3 * 256 + 64);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 23;
    const lengths = [0, 1, 7, 8, 9, 767, 768, 769, 24575, 24576, 24577, 49152 + 768 + 5];
    for (const n of lengths)
      for (const start of [0, 1, 5])
        for (const seed of [undefined, 0, 0xffffffff, 0x12345678]) {
          const v = data.subarray(start, start + n);
          expect(own(v, seed), `n=${n} start=${start} seed=${seed}`).toBe(reference(v, seed));
        }
  });

  it('continues a CRC across pieces: crc(b, crc(a)) === crc(a || b), on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60000 }), fc.nat(60000), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(own(bytes.subarray(at), own(bytes.subarray(0, at)))).toBe(reference(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what is not a Uint8Array', () => {
    expect(() => own('abc' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('CRC-32 (IEEE, GPT)', () => {
  it('gives the catalogue check value and equals @node-rs/crc32 on random data', async () => {
    const { crc32 } = await import('../../src/core/crc32.js');
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20000 }), (bytes) => {
        expect(crc32(bytes)).toBe(crcNative().crc32(bytes as Buffer) >>> 0);
      }),
      { numRuns: 100 },
    );
  });
});
