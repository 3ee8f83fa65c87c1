/**
 * The LZ4 codec's byte format (4-byte LE length + one LZ4 block) is implementation-independent:
 * blobs written by lz4-napi (the codec of the first repositories) decode with the C library we
 * use now, and ours decode with lz4-napi. lz4-napi is a dev dependency kept for this check.
 */
import fc from 'fast-check';
import { compressSync, uncompressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { lz4Compress, lz4CompressScratch, lz4Decode, lz4DecodeInto } from '../../src/compute/codecs/lz4.js';
import { SAMPLES, random, sameBytes, textLike } from '../workers/data.js';

/** Deterministic incompressible bytes (xorshift), so a failing case replays. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const inputs: [string, Uint8Array][] = [
  ...Object.entries(SAMPLES).filter(([kind]) => kind !== 'empty'), // empty blocks are never compressed
  ['text 1 MiB', textLike(1 << 20, 9)],
  ['one byte', Uint8Array.of(7)],
  ['zeros 64 KiB', new Uint8Array(65536)],
];

describe('LZ4 block format interop (lz4-napi ↔ C lz4)', () => {
  for (const [kind, input] of inputs) {
    it(`lz4-napi output decodes with ours: ${kind}`, () => {
      const theirs = compressSync(Buffer.from(input));
      expect(sameBytes(lz4Decode(theirs, input.length), input)).toBe('equal');
    });
    it(`our output decodes with lz4-napi: ${kind}`, () => {
      const ours = lz4Compress(input);
      expect(new DataView(ours.buffer, ours.byteOffset).getUint32(0, true)).toBe(input.length);
      expect(sameBytes(uncompressSync(Buffer.from(ours)), input)).toBe('equal');
    });
  }

  it('property: random mixes of runs and noise round-trip both ways', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(255), fc.integer({ min: 1, max: 5000 }), fc.boolean()), { maxLength: 40 }),
        (parts) => {
          const chunks = parts.map(([b, n, noisy]) => (noisy ? noise(n, b) : new Uint8Array(n).fill(b)));
          const input = new Uint8Array(Buffer.concat(chunks));
          if (input.length === 0) return;
          expect(sameBytes(lz4Decode(compressSync(Buffer.from(input)), input.length), input)).toBe('equal');
          expect(sameBytes(uncompressSync(Buffer.from(lz4Compress(input))), input)).toBe('equal');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the scratch compressor refuses output that would not be smaller, and honours a cap', () => {
    expect(lz4CompressScratch(random(65536))).toBeUndefined();
    const text = textLike(65536, 4);
    const full = lz4CompressScratch(text)!.slice();
    expect(full.length).toBeLessThan(text.length);
    expect(lz4CompressScratch(text, full.length - 1)).toBeUndefined();
    expect(sameBytes(lz4CompressScratch(text, full.length)!, full)).toBe('equal');
  });

  it('decodes into a reused buffer larger than the block, touching only rawLength bytes', () => {
    const text = textLike(10_000, 5);
    const out = new Uint8Array(20_000).fill(0xee);
    lz4DecodeInto(lz4Compress(text), text.length, out);
    expect(sameBytes(out.subarray(0, text.length), text)).toBe('equal');
    expect(out.subarray(text.length).every((b) => b === 0xee)).toBe(true);
  });
});
