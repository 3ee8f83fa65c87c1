/** Deterministic test blocks: compressible text-like, incompressible, zero, tiny. */
import { randomBytes } from 'node:crypto';
import { TAG_BYTES } from '../../src/core/blob.js';
import type { BlockSlot } from '../../src/workers/block-slot.js';

export function textLike(size: number, seed = 1): Uint8Array {
  const words = ['backup', 'volume', 'ntfs', 'cluster', 'sector', 'block', 'repo', 'chain', '\n', ' '];
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  let i = 0;
  while (i < size) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const w = words[x % words.length]!;
    for (let k = 0; k < w.length && i < size; k++) out[i++] = w.charCodeAt(k);
  }
  return out;
}

export function random(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

/** Runs of repeated bytes (RLE-friendly) with a few literal bytes. */
export function runs(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i >> 10) % 7 === 0 ? (i * 31) & 0xff : (i >> 10) & 0xff;
  return out;
}

export const SAMPLES: Record<string, Uint8Array> = {
  text: textLike(1 << 20),
  random: random(1 << 20),
  zero: new Uint8Array(1 << 20),
  runs: runs(300_000),
  tiny: Uint8Array.of(42),
  empty: new Uint8Array(0),
  small: textLike(100),
};

/**
 * Byte equality without vitest's deep-equal (which walks and pretty-prints megabytes element by
 * element): one memcmp, and on failure a short message with lengths and the first differing index.
 */
export function sameBytes(actual: Uint8Array, expected: Uint8Array): string {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return 'equal';
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `differ: lengths ${a.length} vs ${b.length}, first difference at ${i}`;
}

/**
 * One BlockSlot per block, holding it: `data` and `out` are views of one ArrayBuffer, each
 * `capacity` + a GCM tag long (capacity: the largest block, by default).
 */
export function slotsHolding(
  blocks: Uint8Array[],
  capacity = Math.max(...blocks.map((b) => b.length)),
): BlockSlot[] {
  return blocks.map((b) => {
    const outBytes = capacity + TAG_BYTES;
    const buf = new ArrayBuffer(2 * outBytes);
    const slot = {
      data: new Uint8Array(buf, 0, outBytes),
      length: b.length,
      out: new Uint8Array(buf, outBytes),
    };
    slot.data.set(b);
    return slot;
  });
}
