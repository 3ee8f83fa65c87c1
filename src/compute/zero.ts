/**
 * All-zero block check: no allocation beyond two tiny views, one native memcmp.
 *
 * Trick: a buffer is all zero iff its first byte is 0 and every byte equals the one before it,
 * i.e. buf[0..n-1) === buf[1..n). `Buffer.compare` of the two overlapping views is one memcmp
 * (SIMD in libc, stops at the first difference, so non-zero data returns almost at once).
 * Measured against a word loop and a zero-page compare in `bench/stages.ts` (zero check rows).
 */

function view(u8: Uint8Array, start: number, end: number): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset + start, end - start);
}

export function isAllZero(buf: Uint8Array): boolean {
  const n = buf.length;
  if (n === 0) return true;
  if (buf[0] !== 0 || buf[n - 1] !== 0) return false;
  if (n < 64) {
    for (let i = 1; i < n - 1; i++) if (buf[i] !== 0) return false;
    return true;
  }
  return view(buf, 0, n - 1).compare(view(buf, 1, n)) === 0;
}

/** Reference implementation for benchmarks: 32-bit word loop (aligned part) plus byte tails. */
export function isAllZeroWords(buf: Uint8Array): boolean {
  const n = buf.length;
  let i = 0;
  const head = (4 - (buf.byteOffset & 3)) & 3;
  for (; i < Math.min(head, n); i++) if (buf[i] !== 0) return false;
  const words = (n - i) >>> 2;
  if (words > 0) {
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let k = 0; k < words; k++) if (w[k] !== 0) return false;
    i += words * 4;
  }
  for (; i < n; i++) if (buf[i] !== 0) return false;
  return true;
}
