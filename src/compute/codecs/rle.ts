/**
 * Run-length codec for the "dedupe-friendly" level (CodecId.rle).
 *
 * Byte format (frozen; CodecId.rle = 1): a sequence of records, nothing else.
 *   record  = header [payload]
 *   header  = unsigned LEB128 varint h (1..5 bytes, at most 35 bits); kind = h mod 2,
 *             count = floor(h / 2) + 1  (so count >= 1)
 *   kind 0  = literal: `count` bytes follow verbatim
 *   kind 1  = run: one byte follows; it is repeated `count` times
 * The decoded length must equal the block's raw length exactly; no bytes may follow the last record.
 *
 * The encoder only emits runs of at least MIN_RUN bytes (shorter runs cost more than they save and
 * keep literals long), so output is deterministic: identical blocks encode identically, which is
 * what dedup appliances downstream of this level want.
 */
import { dmError } from '../../errors.js';

/** Shortest run the encoder turns into a run record. */
const MIN_RUN = 16;
/** Largest header: 5 LEB128 bytes. */
const MAX_HEADER = 5;

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

function writeVarint(out: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/**
 * Encodes `src` into `out`; returns the encoded length, or -1 when the result would not be smaller
 * than `src` (the caller then stores the block raw). `out` needs `src.length` bytes.
 *
 * Emits every maximal run of at least MIN_RUN equal bytes as a run record, everything between as
 * literals. The scan reads 32-bit words: a run of >= 16 bytes always covers two consecutive
 * aligned words that are equal and uniform, so testing word pairs finds every such run whatever
 * the buffer's alignment (output does not depend on alignment); the run is then extended bytewise
 * backwards and forwards to its true ends.
 */
export function rleEncodeInto(src: Uint8Array, out: Uint8Array): number {
  const n = src.length;
  if (n === 0) return -1;
  const limit = Math.min(out.length, n - 1); // must shrink by at least one byte
  const head = (4 - (src.byteOffset & 3)) & 3; // bytes before the first aligned word
  const words = n > head ? (n - head) >>> 2 : 0;
  const w = new Int32Array(src.buffer, src.byteOffset + head, words);
  let pos = 0;
  let litStart = 0;
  let k = 0;
  while (k + 1 < words) {
    const v = w[k]!;
    if (v !== w[k + 1] || v !== Math.imul(v & 0xff, 0x01010101)) {
      k++;
      continue;
    }
    const b = v & 0xff;
    let start = head + k * 4;
    while (start > litStart && src[start - 1] === b) start--;
    let kk = k + 2;
    while (kk < words && w[kk] === v) kk++;
    let end = head + kk * 4;
    while (end < n && src[end] === b) end++;
    k = (end - head) >>> 2; // resume at the word holding the first byte after the run
    if (end - start < MIN_RUN) continue;
    const litLen = start - litStart;
    if (litLen > 0) {
      if (pos + varintSize((litLen - 1) * 2) + litLen > limit) return -1;
      pos = writeVarint(out, pos, (litLen - 1) * 2);
      out.set(src.subarray(litStart, start), pos);
      pos += litLen;
    }
    if (pos + varintSize((end - start - 1) * 2 + 1) + 1 > limit) return -1;
    pos = writeVarint(out, pos, (end - start - 1) * 2 + 1);
    out[pos++] = b;
    litStart = end;
  }
  const tail = n - litStart;
  if (tail > 0) {
    if (pos + varintSize((tail - 1) * 2) + tail > limit) return -1;
    pos = writeVarint(out, pos, (tail - 1) * 2);
    out.set(src.subarray(litStart, n), pos);
    pos += tail;
  }
  return pos;
}

function corrupt(message: string, offset: number): Error {
  return dmError('DM_ERR_CODEC', `RLE: ${message}`, { offset });
}

/** Decodes `src`, which must expand to exactly `rawLength` bytes; throws DM_ERR_CODEC otherwise. */
export function rleDecode(src: Uint8Array, rawLength: number): Uint8Array {
  const out = new Uint8Array(rawLength);
  rleDecodeInto(src, rawLength, out);
  return out;
}

/** rleDecode into `out[0..rawLength)` (the caller checked `out` is large enough). */
export function rleDecodeInto(src: Uint8Array, rawLength: number, out: Uint8Array): void {
  const n = src.length;
  let pos = 0;
  let o = 0;
  while (pos < n) {
    const start = pos;
    let h = 0;
    let scale = 1;
    for (;;) {
      if (pos >= n) throw corrupt('truncated record header', start);
      if (pos - start >= MAX_HEADER) throw corrupt('record header longer than 5 bytes', start);
      const byte = src[pos++]!;
      h += (byte & 0x7f) * scale;
      scale *= 0x80;
      if (byte < 0x80) break;
    }
    const count = Math.floor(h / 2) + 1;
    if (count > rawLength - o) throw corrupt(`record expands past ${rawLength} bytes`, start);
    if (h % 2 === 0) {
      if (count > n - pos) throw corrupt('truncated literal', start);
      out.set(src.subarray(pos, pos + count), o);
      pos += count;
    } else {
      if (pos >= n) throw corrupt('truncated run', start);
      out.fill(src[pos++]!, o, o + count);
    }
    o += count;
  }
  if (o !== rawLength) throw corrupt(`decodes to ${o} bytes, expected ${rawLength}`, n);
}
