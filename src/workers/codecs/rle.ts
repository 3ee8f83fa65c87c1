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
 */
export function rleEncodeInto(src: Uint8Array, out: Uint8Array): number {
  const n = src.length;
  if (n === 0) return -1;
  const limit = Math.min(out.length, n - 1); // must shrink by at least one byte
  let pos = 0;
  let litStart = 0;
  let i = 0;
  while (i < n) {
    const b = src[i]!;
    // Cheap reject: a run of MIN_RUN needs src[i + MIN_RUN - 1] === b.
    if (i + MIN_RUN > n || src[i + MIN_RUN - 1] !== b) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && src[j] === b) j++;
    if (j - i < MIN_RUN) {
      i = j;
      continue;
    }
    const litLen = i - litStart;
    if (litLen > 0) {
      if (pos + MAX_HEADER + litLen > limit) return -1;
      pos = writeVarint(out, pos, (litLen - 1) * 2);
      out.set(src.subarray(litStart, i), pos);
      pos += litLen;
    }
    if (pos + MAX_HEADER + 1 > limit) return -1;
    pos = writeVarint(out, pos, (j - i - 1) * 2 + 1);
    out[pos++] = b;
    i = j;
    litStart = j;
  }
  const tail = n - litStart;
  if (tail > 0) {
    if (pos + MAX_HEADER + tail > limit) return -1;
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
  return out;
}
