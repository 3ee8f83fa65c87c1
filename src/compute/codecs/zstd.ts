/**
 * zstd via zstd-napi's low-level binding (caller-owned buffers, synchronous; run it in workers).
 * Byte format (CodecId.zstd = 3): one standard zstd frame with the content size set, no checksum
 * (the block identity and GCM tag already protect the data). The level is not stored: decoding
 * does not need it.
 *
 * One compression context per level per thread, created on first use and reused for every block
 * (creating a context per block costs an allocation of several MiB at level 9).
 */
import type * as zstdBinding from 'zstd-napi/binding.js';
import { zstdNative } from '../../core/native.js';
import { dmError } from '../../errors.js';

const contexts = new Map<number, zstdBinding.CCtx>();
let dctx: zstdBinding.DCtx | undefined;
let scratch: Buffer = Buffer.alloc(0);

function contextFor(level: number): zstdBinding.CCtx {
  let ctx = contexts.get(level);
  if (!ctx) {
    const zstd = zstdNative();
    ctx = new zstd.CCtx();
    ctx.setParameter(zstd.CParameter.compressionLevel, level);
    ctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
    ctx.setParameter(zstd.CParameter.checksumFlag, 0);
    contexts.set(level, ctx);
  }
  return ctx;
}

/**
 * Compresses `src` at `level` into a per-thread scratch buffer and returns a view of it, valid
 * only until the next call on this thread (copy it or consume it right away).
 */
export function zstdCompressScratch(src: Uint8Array, level: number): Uint8Array {
  const bound = zstdNative().compressBound(src.length);
  if (scratch.length < bound) scratch = Buffer.allocUnsafeSlow(bound);
  const n = contextFor(level).compress2(scratch, src);
  return scratch.subarray(0, n);
}

/**
 * Decodes one or more frames to exactly `rawLength` bytes into `into[0..rawLength)` (the caller
 * checked `into` is large enough); throws DM_ERR_CODEC otherwise.
 */
export function zstdDecodeInto(src: Uint8Array, rawLength: number, into: Uint8Array): void {
  let size: number | null;
  try {
    size = zstdNative().getFrameContentSize(src);
  } catch (err) {
    throw dmError('DM_ERR_CODEC', `zstd: ${(err as Error).message}`, undefined, err);
  }
  if (size !== rawLength) {
    throw dmError('DM_ERR_CODEC', `zstd: frame content size ${size} does not match raw length ${rawLength}`, {
      offset: 0,
    });
  }
  // Single-pass decode into exactly rawLength bytes: zstd uses them as its window, so a forged
  // window size cannot make it allocate more, and any overrun fails with "destination too small".
  const out = Buffer.from(into.buffer, into.byteOffset, rawLength);
  let n: number;
  try {
    dctx ??= new (zstdNative().DCtx)();
    n = dctx.decompress(out, src);
  } catch (err) {
    throw dmError('DM_ERR_CODEC', `zstd: ${(err as Error).message}`, undefined, err);
  }
  if (n !== rawLength) {
    throw dmError('DM_ERR_CODEC', `zstd: decodes to ${n} bytes, expected ${rawLength}`);
  }
}
