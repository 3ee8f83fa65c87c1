import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecId, COMPRESSION_LEVELS, type CodecIdValue } from '../../src/core/blob.js';
import { isDmError } from '../../src/errors.js';
import { compressBlock, decompressBlock } from '../../src/compute/codecs/block-codec.js';
import { rleDecode, rleEncodeInto } from '../../src/compute/codecs/rle.js';
import { SAMPLES, random, textLike, sameBytes } from '../workers/data.js';

function expectCodecError(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isDmError(thrown, 'DM_ERR_CODEC'), String(thrown)).toBe(true);
}

describe('compressBlock / decompressBlock', () => {
  for (const level of COMPRESSION_LEVELS) {
    for (const [kind, input] of Object.entries(SAMPLES)) {
      it(`round-trips ${kind} at ${level}`, () => {
        const { codec, data } = compressBlock(level, input);
        if (codec !== CodecId.none) expect(data.length).toBeLessThan(input.length);
        else expect(sameBytes(data, input)).toBe('equal');
        expect(sameBytes(decompressBlock(codec, data, input.length), input)).toBe('equal');
      });
    }
  }

  it('picks the codec of each level and stores incompressible data raw', () => {
    const text = SAMPLES.text!;
    expect(compressBlock('none', text).codec).toBe(CodecId.none);
    expect(compressBlock('dedupe-friendly', SAMPLES.runs!).codec).toBe(CodecId.rle);
    expect(compressBlock('optimal', text).codec).toBe(CodecId.lz4);
    expect(compressBlock('high', text).codec).toBe(CodecId.zstd);
    expect(compressBlock('extreme', text).codec).toBe(CodecId.zstd);
    for (const level of COMPRESSION_LEVELS) {
      expect(compressBlock(level, SAMPLES.random!).codec).toBe(CodecId.none);
      expect(compressBlock(level, SAMPLES.random!, { probe: false }).codec).toBe(CodecId.none);
    }
  });

  it('extreme compresses text at least as well as high', () => {
    const text = textLike(256 * 1024, 7);
    expect(compressBlock('extreme', text).data.length).toBeLessThanOrEqual(
      compressBlock('high', text).data.length,
    );
  });

  it('the probe still compresses a block that is half random, half text', () => {
    const mixed = new Uint8Array(1 << 20);
    for (let p = 0; p < 256; p++) mixed.set(p % 2 ? random(4096) : textLike(4096, p), p * 4096);
    const r = compressBlock('optimal', mixed);
    expect(r.codec).toBe(CodecId.lz4);
    expect(sameBytes(decompressBlock(r.codec, r.data, mixed.length), mixed)).toBe('equal');
  });

  it('the probe looks past a random first half', () => {
    const block = new Uint8Array(1 << 20);
    block.set(random(1 << 19));
    block.set(textLike(1 << 19, 5), 1 << 19);
    for (const level of ['optimal', 'high'] as const) {
      const r = compressBlock(level, block);
      expect(r.codec).not.toBe(CodecId.none);
      expect(sameBytes(decompressBlock(r.codec, r.data, block.length), block)).toBe('equal');
    }
  });

  it('rejects length mismatches, unknown codecs and absurd raw lengths', () => {
    const text = textLike(10_000);
    for (const level of ['dedupe-friendly', 'optimal', 'high'] as const) {
      const { codec, data } = compressBlock(level, level === 'dedupe-friendly' ? SAMPLES.runs! : text);
      const n = level === 'dedupe-friendly' ? SAMPLES.runs!.length : text.length;
      expectCodecError(() => decompressBlock(codec, data, n - 1));
      expectCodecError(() => decompressBlock(codec, data, n + 1));
      expectCodecError(() => decompressBlock(codec, data.subarray(0, data.length - 1), n));
    }
    expectCodecError(() => decompressBlock(CodecId.none, text, text.length + 1));
    expectCodecError(() => decompressBlock(9 as CodecIdValue, text, text.length));
    expectCodecError(() => decompressBlock(CodecId.lz4, text, 2 ** 40));
    expectCodecError(() => decompressBlock(CodecId.lz4, text, -1));
  });

  it('LZ4: a forged length prefix is refused before decoding', () => {
    const { data } = compressBlock('optimal', textLike(4096));
    const forged = data.slice();
    new DataView(forged.buffer).setUint32(0, 0xffff_fff0, true);
    expectCodecError(() => decompressBlock(CodecId.lz4, forged, 4096));
  });

  it('fuzz: arbitrary bytes never decode to a wrong-length result', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(CodecId.rle, CodecId.lz4, CodecId.zstd),
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: 70_000 }),
        (codec, bytes, rawLength) => {
          try {
            expect(decompressBlock(codec, bytes, rawLength).length).toBe(rawLength);
          } catch (err) {
            expect(isDmError(err, 'DM_ERR_CODEC'), String(err)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('fuzz: flipped and truncated valid streams fail cleanly or decode to the right length', () => {
    const inputs = [textLike(20_000, 3), SAMPLES.runs!.subarray(0, 20_000)];
    const streams = ['dedupe-friendly', 'optimal', 'high', 'extreme'].flatMap((level) =>
      inputs.map((input) => ({ input, ...compressBlock(level as 'optimal', input) })),
    );
    fc.assert(
      fc.property(
        fc.nat(streams.length - 1),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (which, at, mask, truncate) => {
          const s = streams[which]!;
          const bytes = s.data.slice();
          const pos = at % bytes.length;
          const mutated = truncate
            ? bytes.subarray(0, pos)
            : (bytes.fill(bytes[pos]! ^ mask, pos, pos + 1), bytes);
          try {
            expect(decompressBlock(s.codec, mutated, s.input.length).length).toBe(s.input.length);
          } catch (err) {
            expect(isDmError(err, 'DM_ERR_CODEC'), String(err)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('RLE format', () => {
  it('encodes a long run as one record and round-trips edge lengths', () => {
    const zeros = new Uint8Array(1 << 20);
    const out = new Uint8Array(zeros.length);
    const n = rleEncodeInto(zeros, out);
    // header varint of (2^20 - 1) * 2 + 1 is 3 bytes, plus the byte value.
    expect(n).toBe(4);
    expect(sameBytes(rleDecode(out.subarray(0, n), zeros.length), zeros)).toBe('equal');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 300 }))),
        (parts) => {
          const input = Uint8Array.from(parts.flatMap(([v, len]) => Array<number>(len).fill(v)));
          const buf = new Uint8Array(input.length);
          const m = rleEncodeInto(input, buf);
          if (m >= 0) {
            expect(m).toBeLessThan(input.length);
            expect(sameBytes(rleDecode(buf.subarray(0, m), input.length), input)).toBe('equal');
          }
        },
      ),
    );
  });

  it('finds every maximal run of >= 16 bytes whatever the alignment (matches a bytewise reference)', () => {
    // Reference: bytewise scan for maximal runs, same record layout.
    const reference = (src: Uint8Array): number[] => {
      const rec: number[] = [];
      let lit = 0;
      let i = 0;
      while (i < src.length) {
        let j = i + 1;
        while (j < src.length && src[j] === src[i]) j++;
        if (j - i >= 16) {
          if (i > lit) rec.push(0, i - lit);
          rec.push(1, j - i, src[i]!);
          lit = j;
        }
        i = j;
      }
      if (src.length > lit) rec.push(0, src.length - lit);
      return rec;
    };
    const decodeRecords = (enc: Uint8Array): number[] => {
      const rec: number[] = [];
      let p = 0;
      while (p < enc.length) {
        let h = 0;
        let scale = 1;
        for (;;) {
          const byte = enc[p++]!;
          h += (byte & 0x7f) * scale;
          scale *= 128;
          if (byte < 0x80) break;
        }
        const count = Math.floor(h / 2) + 1;
        if (h % 2) rec.push(1, count, enc[p++]!);
        else {
          rec.push(0, count);
          p += count;
        }
      }
      return rec;
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 40 })), {
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 7 }),
        (parts, shift) => {
          const input = Uint8Array.from(parts.flatMap(([v, len]) => Array<number>(len).fill(v)));
          const backing = new Uint8Array(input.length + 8);
          const shifted = backing.subarray(shift, shift + input.length);
          shifted.set(input);
          const buf = new Uint8Array(input.length);
          const m = rleEncodeInto(shifted, buf);
          const ref = reference(input);
          if (m >= 0) expect(decodeRecords(buf.subarray(0, m))).toEqual(ref);
          else {
            // Gave up: the reference encoding must indeed not be smaller than the input.
            let size = 0;
            for (let r = 0; r < ref.length; r += ref[r] === 1 ? 3 : 2) {
              const h = (ref[r + 1]! - 1) * 2 + ref[r]!;
              size += (h < 128 ? 1 : h < 16384 ? 2 : 3) + (ref[r] === 1 ? 1 : ref[r + 1]!);
            }
            expect(size).toBeGreaterThanOrEqual(input.length);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects an over-long varint header', () => {
    expectCodecError(() => rleDecode(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 10));
  });
});
