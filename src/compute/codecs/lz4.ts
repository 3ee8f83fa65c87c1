/**
 * LZ4 through the reference C library (lz4 1.9, vendored and compiled by the `lz4` npm package),
 * called on caller-owned buffers: compression writes into per-thread scratch and decoding writes
 * into the caller's buffer, so neither allocates per block. Byte format (CodecId.lz4 = 2, frozen):
 * a 4-byte little-endian uncompressed length, then one LZ4 *block* (not the LZ4 frame format), the
 * layout lz4-napi's `compressSync` writes, so blobs written by either implementation decode with
 * the other (test/workers/lz4-interop.test.ts). Why the C library: on this project's guest data it
 * compresses 1.6× faster than lz4-napi (lz4_flex safe mode) and decodes ~3× faster without an
 * allocation per block (docs/decisions.md).
 *
 * Decoding uses LZ4_decompress_safe, which never reads or writes out of bounds on malformed
 * input; the repository also stores the raw length, and the prefix must agree with it.
 */
import { createRequire } from 'node:module';
import { dmError } from '../../errors.js';

interface Lz4Binding {
  /** LZ4_compress_default into output[start..end); returns the block length, 0 if it does not fit. */
  compress(input: Uint8Array, output: Uint8Array, start: number, end: number): number;
  /** LZ4_decompress_safe of input[start..end) into all of output; returns bytes written, < 0 on error. */
  uncompress(input: Uint8Array, output: Uint8Array, start: number, end: number): number;
  compressBound(size: number): number;
}

function loadBinding(): Lz4Binding {
  try {
    // The native module itself: the package's JS wrapper also loads stream code we do not use.
    return createRequire(import.meta.url)('lz4/build/Release/lz4.node') as Lz4Binding;
  } catch (err) {
    throw dmError(
      'DM_ERR_INTERNAL',
      'the LZ4 native module is not built: run `npm ci` (package.json allowScripts must approve "lz4")',
      undefined,
      err,
    );
  }
}

/**
 * Loaded on first use: the main thread imports this module (through seal.ts) but never compresses
 * in a pooled backup, and its dlopen cost 5–28 ms of the main thread's start-up.
 */
let binding: Lz4Binding | undefined;
const native = (): Lz4Binding => (binding ??= loadBinding());

export const LZ4_PREFIX_BYTES = 4;

let scratch = new Uint8Array(0);

function writePrefix(out: Uint8Array, rawLength: number): void {
  out[0] = rawLength & 0xff;
  out[1] = (rawLength >>> 8) & 0xff;
  out[2] = (rawLength >>> 16) & 0xff;
  out[3] = (rawLength >>> 24) & 0xff;
}

/**
 * Compresses `src` into per-thread scratch and returns a view of prefix + block, valid only until
 * the next call on this thread; undefined when the encoding (prefix included) would exceed
 * `maxBytes`, by default one byte less than `src`. The output capacity is capped there, so an
 * incompressible block stops early instead of expanding.
 */
export function lz4CompressScratch(src: Uint8Array, maxBytes = src.length - 1): Uint8Array | undefined {
  const cap = Math.min(maxBytes, LZ4_PREFIX_BYTES + native().compressBound(src.length));
  if (cap <= LZ4_PREFIX_BYTES) return undefined;
  if (scratch.length < cap) scratch = new Uint8Array(native().compressBound(src.length) + LZ4_PREFIX_BYTES);
  const n = native().compress(src, scratch, LZ4_PREFIX_BYTES, cap);
  if (n <= 0) return undefined;
  writePrefix(scratch, src.length);
  return scratch.subarray(0, LZ4_PREFIX_BYTES + n);
}

/** Compresses `src` into a fresh buffer (prefix + block); used where the output must outlive the call. */
export function lz4Compress(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(LZ4_PREFIX_BYTES + native().compressBound(src.length));
  const n = native().compress(src, out, LZ4_PREFIX_BYTES, out.length);
  if (n <= 0) throw dmError('DM_ERR_CODEC', `LZ4: compressing ${src.length} bytes failed`);
  writePrefix(out, src.length);
  return out.subarray(0, LZ4_PREFIX_BYTES + n);
}

/** Decodes `src` into `out[0..rawLength)`; throws DM_ERR_CODEC on any malformed input. */
export function lz4DecodeInto(src: Uint8Array, rawLength: number, out: Uint8Array): void {
  if (src.length < LZ4_PREFIX_BYTES) {
    throw dmError('DM_ERR_CODEC', `LZ4: ${src.length} bytes is shorter than the length prefix`);
  }
  const prefix = (src[0]! | (src[1]! << 8) | (src[2]! << 16) | (src[3]! << 24)) >>> 0;
  if (prefix !== rawLength) {
    throw dmError('DM_ERR_CODEC', `LZ4: length prefix ${prefix} does not match raw length ${rawLength}`, {
      offset: 0,
    });
  }
  if (out.length < rawLength) {
    throw dmError('DM_ERR_INTERNAL', `LZ4: output of ${out.length} bytes is smaller than ${rawLength}`);
  }
  const n = native().uncompress(src, out.subarray(0, rawLength), LZ4_PREFIX_BYTES, src.length);
  if (n !== rawLength) {
    throw dmError(
      'DM_ERR_CODEC',
      n < 0
        ? `LZ4: malformed block (error at input byte ${LZ4_PREFIX_BYTES - n - 1})`
        : `LZ4: decodes to ${n} bytes, expected ${rawLength}`,
    );
  }
}

/** Decodes `src` to a fresh buffer of exactly `rawLength` bytes. */
export function lz4Decode(src: Uint8Array, rawLength: number): Uint8Array {
  const out = Buffer.allocUnsafeSlow(rawLength);
  lz4DecodeInto(src, rawLength, out);
  return out;
}
