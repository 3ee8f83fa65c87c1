/**
 * Regression: compressBlock and sealBlock promise output the caller owns. zstd output lives in a
 * per-thread scratch Buffer, and Buffer#slice returns a view, so a later compression used to
 * overwrite an earlier payload (found as stored CRC mismatches in repository tests).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compressBlock } from '../../src/compute/codecs/block-codec.js';
import { sealBlock } from '../../src/compute/seal.js';

function textBlock(seed: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', `w${seed}`, 'omega'];
  let s = '';
  while (s.length < 256 * 1024) s += words[(s.length * 7 + seed) % words.length] + ' ';
  return Buffer.from(s.slice(0, 256 * 1024));
}

describe('owned outputs', () => {
  it.each(['dedupe-friendly', 'optimal', 'high', 'extreme'] as const)(
    '%s: a payload survives later compressions on the same thread',
    (level) => {
      const first = compressBlock(level, textBlock(1));
      const snapshot = Buffer.from(first.data);
      compressBlock(level, textBlock(2));
      compressBlock(level, textBlock(3));
      expect(Buffer.from(first.data).equals(snapshot)).toBe(true);
    },
  );

  it('sealBlock of an incompressible Buffer does not alias the caller-recycled input', () => {
    const input = randomBytes(64 * 1024);
    const sealed = sealBlock(input, { level: 'none' });
    const snapshot = Buffer.from(sealed.payload);
    input.fill(0xee); // the pipeline recycles its block buffers
    expect(Buffer.from(sealed.payload).equals(snapshot)).toBe(true);
  });
});
