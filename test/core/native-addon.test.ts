import { createCipheriv, randomBytes } from 'node:crypto';
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

/** ciphertext || tag from node:crypto: what both GCM directions are checked against. */
const nodeSeal = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array) => {
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
};

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

describe.runIf(addon?.gcmSealInto)('own AES-256-GCM sealing (native/aes-gcm.c)', () => {
  const seal = addon!.gcmSealInto!;

  it('equals node:crypto into another buffer, in place, and with overlapping input', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(40),
        (pt, aad, at) => {
          const key = randomBytes(32);
          const nonce = randomBytes(12);
          const want = Buffer.from(nodeSeal(key, nonce, aad, pt));
          const out = new Uint8Array(at + pt.length + 16);
          expect(seal(key, nonce, aad, pt, out, at)).toBe(pt.length + 16);
          expect(Buffer.from(out.subarray(at)).equals(want)).toBe(true);
          const inPlace = new Uint8Array(pt.length + 16);
          inPlace.set(pt);
          seal(key, nonce, aad, inPlace.subarray(0, pt.length), inPlace, 0);
          expect(Buffer.from(inPlace).equals(want)).toBe(true);
          const shifted = new Uint8Array(pt.length + 16 + 3); // plaintext 3 bytes after its output
          shifted.set(pt, 3);
          seal(key, nonce, aad, shifted.subarray(3, 3 + pt.length), shifted, 0);
          expect(Buffer.from(shifted.subarray(0, pt.length + 16)).equals(want)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses bad keys, nonces and outputs too small, writing nothing', () => {
    const out = new Uint8Array(40);
    // [key bytes, nonce bytes, plaintext bytes, output offset]: each one thing wrong.
    const cases = [
      [31, 12, 8, 0], // short key
      [32, 11, 8, 0], // short nonce
      [32, 12, 30, 0], // 30 + tag does not fit in 40
      [32, 12, 8, 20], // 8 + tag does not fit after offset 20
    ];
    for (const [k, n, p, at] of cases)
      expect(
        () => seal(new Uint8Array(k!), new Uint8Array(n!), new Uint8Array(0), new Uint8Array(p!), out, at!),
        `${k}/${n}/${p}@${at}`,
      ).toThrow();
    expect(out.every((b) => b === 0)).toBe(true);
  });
});

describe.runIf(addon?.gcmOpenInto)('own AES-256-GCM opening (native/aes-gcm.c)', () => {
  const open = addon!.gcmOpenInto!;
  const seal = nodeSeal;

  it('opens what node:crypto sealed, and refuses any flipped bit of ciphertext, tag or AAD', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ minLength: 1, maxLength: 48 }),
        fc.nat(),
        (pt, aad, flip) => {
          const key = randomBytes(32);
          const nonce = randomBytes(12);
          const sealed = seal(key, nonce, aad, pt);
          const out = new Uint8Array(pt.length + 7);
          expect(open(key, nonce, aad, sealed, out)).toBe(pt.length);
          expect(Buffer.from(out.subarray(0, pt.length)).equals(Buffer.from(pt))).toBe(true);
          const bad = Uint8Array.from(sealed);
          bad[flip % bad.length]! ^= 1 << (flip % 8);
          expect(open(key, nonce, aad, bad, out)).toBe(-1);
          const badAad = Uint8Array.from(aad);
          badAad[flip % badAad.length]! ^= 1;
          expect(open(key, nonce, badAad, sealed, out)).toBe(-1);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a wrong key or nonce, an output too small and an output overlapping the input', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const sealed = seal(key, nonce, new Uint8Array(0), randomBytes(100));
    const out = new Uint8Array(100);
    expect(open(randomBytes(32), nonce, new Uint8Array(0), sealed, out)).toBe(-1);
    expect(open(key, randomBytes(12), new Uint8Array(0), sealed, out)).toBe(-1);
    expect(() => open(key, nonce, new Uint8Array(0), sealed, new Uint8Array(99))).toThrow();
    expect(() => open(key, nonce, new Uint8Array(0), sealed, sealed.subarray(10))).toThrow();
    expect(() => open(key, nonce, new Uint8Array(0), new Uint8Array(15), out)).toThrow();
  });
});
