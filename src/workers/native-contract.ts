/**
 * The native addon's copy of the frozen format against the TypeScript format layer.
 *
 * native/format.h copies into C what seal-batch.c needs of the format: sizes, the frame magic,
 * codec ids, the LZ4 prefix, the compression probe, the read-map layout, the frame header layout
 * and the GCM additional data. The addon exports those numbers (nativeFormat) and its own frame
 * header and AAD encoders; this module compares them with the layer they were copied from, number
 * by number and byte by byte on sample frames. native-fit.ts refuses the native engine when they
 * differ, so a C copy that drifts cannot write frames the TypeScript readers reject.
 */
import { blobAad, CodecId, IDENTITY_BYTES, NONCE_BYTES, TAG_BYTES, type CodecIdValue } from '../core/blob.js';
import type { NativeFormat, NativeFormatCheck } from '../core/native.js';
import { SEGMENT_FIELDS, ZERO_FILL_FD } from '../core/read-map.js';
import { FLAG_ENCRYPTED, FRAME_HEADER_SIZE, FRAME_MAGIC } from '../format/constants.js';
import { encodeFrameHeader } from '../format/frame.js';
import { PROBE_MIN, PROBE_SLICE } from '../compute/codecs/block-codec.js';
import { LZ4_PREFIX_BYTES } from '../compute/codecs/lz4.js';

/** What native/format.h must hold, from the TypeScript layer. */
export const EXPECTED_NATIVE_FORMAT: NativeFormat = {
  identityBytes: IDENTITY_BYTES,
  nonceBytes: NONCE_BYTES,
  tagBytes: TAG_BYTES,
  frameHeaderBytes: FRAME_HEADER_SIZE,
  frameMagic: FRAME_MAGIC,
  flagEncrypted: FLAG_ENCRYPTED,
  codecNone: CodecId.none,
  codecLz4: CodecId.lz4,
  lz4PrefixBytes: LZ4_PREFIX_BYTES,
  probeSliceBytes: PROBE_SLICE,
  probeMinBytes: PROBE_MIN,
  readSegmentFields: SEGMENT_FIELDS,
  zeroFillFd: ZERO_FILL_FD,
};

const pattern = (n: number, from: number) => Uint8Array.from({ length: n }, (_, i) => (from + i * 7) & 0xff);

/**
 * Where the addon's format differs from `expected` (empty when it agrees): each differing number by
 * name, and each sample frame header or AAD whose bytes differ from the TypeScript encoders'.
 */
export function nativeFormatMismatches(
  addon: NativeFormatCheck,
  expected: NativeFormat = EXPECTED_NATIVE_FORMAT,
): string[] {
  const { nativeFormat, frameHeader, blobAad: nativeAad } = addon;
  if (!nativeFormat || !frameHeader || !nativeAad)
    return ['the addon exports no nativeFormat, frameHeader or blobAad (built from older sources)'];
  const out: string[] = [];
  for (const key of Object.keys(expected) as (keyof NativeFormat)[])
    if (nativeFormat[key] !== expected[key])
      out.push(`${key} is ${nativeFormat[key]} in C, ${expected[key]} in TypeScript`);
  if (out.length > 0) return out; // the sample frames would differ too: the numbers say why
  const identity = pattern(IDENTITY_BYTES, 1);
  const payload = pattern(300, 9);
  for (const codec of [CodecId.none, CodecId.lz4] as CodecIdValue[])
    for (const nonce of [undefined, pattern(NONCE_BYTES, 200)]) {
      const rawLength = 0x01020304 + codec;
      const fields = { identity, codec, rawLength, storedLength: payload.length, nonce };
      const sample = `codec ${codec}, ${nonce ? 'encrypted' : 'plain'}`;
      if (
        !sameBytes(
          frameHeader(identity, codec, nonce ?? null, rawLength, payload),
          encodeFrameHeader(fields, payload),
        )
      )
        out.push(`the frame header (${sample}) differs from format/frame.ts's`);
      if (!sameBytes(nativeAad(identity, codec, rawLength), blobAad(identity, codec, rawLength)))
        out.push(`the GCM additional data (${sample}) differs from core/blob.ts blobAad's`);
    }
  return [...new Set(out)];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
