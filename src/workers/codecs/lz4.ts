/**
 * LZ4 via lz4-napi (lz4_flex, safe decoder). Byte format (CodecId.lz4 = 2): lz4-napi's
 * `compressSync` output as is: a 4-byte little-endian uncompressed length, then one LZ4 block.
 * The repository also stores the raw length; decoding checks both agree *before* the native call,
 * so a forged prefix can never make the decoder allocate more than the block's raw length.
 */
import { compressSync, uncompressSync } from 'lz4-napi';
import { dmError } from '../../errors.js';

export const LZ4_PREFIX_BYTES = 4;

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Compresses `src` (a fresh Buffer, owned by the caller). */
export function lz4Compress(src: Uint8Array): Buffer {
  return compressSync(asBuffer(src));
}

/** Decodes `src` to exactly `rawLength` bytes; throws DM_ERR_CODEC on any malformed input. */
export function lz4Decode(src: Uint8Array, rawLength: number): Uint8Array {
  if (src.length < LZ4_PREFIX_BYTES) {
    throw dmError('DM_ERR_CODEC', `LZ4: ${src.length} bytes is shorter than the length prefix`);
  }
  const prefix = new DataView(src.buffer, src.byteOffset, LZ4_PREFIX_BYTES).getUint32(0, true);
  if (prefix !== rawLength) {
    throw dmError('DM_ERR_CODEC', `LZ4: length prefix ${prefix} does not match raw length ${rawLength}`, {
      offset: 0,
    });
  }
  let out: Buffer;
  try {
    out = uncompressSync(src);
  } catch (err) {
    throw dmError('DM_ERR_CODEC', `LZ4: ${(err as Error).message}`, undefined, err);
  }
  if (out.length !== rawLength) {
    throw dmError('DM_ERR_CODEC', `LZ4: decodes to ${out.length} bytes, expected ${rawLength}`);
  }
  return out;
}
