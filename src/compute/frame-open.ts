/**
 * Opening one blob frame read back from a pack: checks it is the blob the manifest names, then its
 * CRC, then decrypts (GCM authenticates against identity, codec and length), decompresses and,
 * when asked, re-hashes against the identity (as seal.ts openSealed, but able to decode into a
 * reused buffer). Used by the repository's main-thread restore and verify and inside the
 * frame-run workers, so both paths apply exactly the same checks.
 *
 * Restore (`full: false`) trusts the cheaper proofs: the header CRC always; for a plain frame the
 * frame CRC; for an encrypted frame the GCM tag instead (it covers payload, identity, codec and
 * length, so the CRC adds nothing). It skips the re-hash, the slowest step. Verify (`full: true`)
 * re-hashes every decoded block against its 256-bit identity (that also catches a writer that
 * sealed wrong bytes), plus GCM when encrypted; the frame CRC over the payload would detect nothing
 * more (every header byte is under the header CRC), so it is skipped there: ~0.3 ms per MiB.
 */
import type { CodecIdValue } from '../core/blob.js';
import { CodecId, TAG_BYTES, blobAad } from '../core/blob.js';
import { dmError } from '../errors.js';
import { bytesEqual } from '../format/bytes.js';
import type { FrameHeader } from '../format/frame.js';
import { frameCrcMatches } from '../format/frame.js';
import { openBlob, openInto } from './cipher/aes-gcm.js';
import { decompressBlock, decompressBlockInto } from './codecs/block-codec.js';
import { blockIdentity, identitiesEqual } from './identity.js';

/** One frame as found in a read buffer (views: valid only while that buffer is). */
export interface FrameView {
  readonly offset: number;
  readonly header: FrameHeader;
  readonly headerBytes: Uint8Array;
  readonly payload: Uint8Array;
}

export interface FrameKeys {
  /** Blob key of the pack's session (from its header salt); undefined in a plain repository. */
  readonly blobKey: Uint8Array | undefined;
  readonly identityKey: Uint8Array | undefined;
}

/** The cheap checks: right blob, CRC (unless GCM or a re-hash covers it), encryption matches. */
export function checkFrame(
  f: FrameView,
  keys: FrameKeys,
  file: string,
  opts: { expected?: Uint8Array | undefined; full: boolean },
): void {
  const at = { file, offset: f.offset };
  if (opts.expected && !bytesEqual(opts.expected, f.header.identity))
    throw dmError('DM_ERR_REPO_CORRUPT', 'the frame at this offset is not the blob the manifest names', at);
  if (!opts.full && !f.header.encrypted && !frameCrcMatches(f.headerBytes, f.payload))
    throw dmError('DM_ERR_REPO_CHECKSUM', 'blob frame fails its CRC-32C', at);
  if (f.header.encrypted !== (keys.blobKey !== undefined))
    throw dmError(
      keys.blobKey ? 'DM_ERR_CRYPTO_AUTH' : 'DM_ERR_REPO_CORRUPT',
      keys.blobKey
        ? 'an unencrypted blob in an encrypted repository'
        : 'an encrypted blob in a plain repository',
      at,
    );
}

/**
 * Decrypts, decompresses and (full) re-hashes a frame that passed checkFrame. With `out` (at least
 * rawLength bytes) a compressed block is decoded into it and nothing is allocated for it; the
 * result is then a view of `out`. A block stored raw comes back as a view of its payload, or of
 * `out` when it was encrypted and `out` was given (decrypted straight into it). Without `out`, the
 * result of a compressed or encrypted block is a fresh buffer.
 */
export function decodeFrame(
  f: FrameView,
  keys: FrameKeys,
  file: string,
  full: boolean,
  out?: Uint8Array,
): Uint8Array {
  const codec = f.header.codec as CodecIdValue;
  const { identity, rawLength } = f.header;
  try {
    // checkFrame made sure a frame is encrypted exactly when there is a blob key.
    const plain = keys.blobKey ? open(keys.blobKey, f, blobAad(identity, codec, rawLength), out) : f.payload;
    let raw: Uint8Array;
    if (out && codec !== CodecId.none) {
      decompressBlockInto(codec, plain, rawLength, out);
      raw = out.subarray(0, rawLength);
    } else raw = decompressBlock(codec, plain, rawLength);
    if (full && !identitiesEqual(blockIdentity(raw, keys.identityKey), identity))
      throw dmError('DM_ERR_REPO_CHECKSUM', 'block does not match its identity after decoding', {
        field: 'identity',
      });
    return raw;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'DM_ERR_CRYPTO_AUTH' || code === 'DM_ERR_CODEC' || code === 'DM_ERR_REPO_CHECKSUM')
      throw dmError(code, `blob frame: ${(err as Error).message}`, { file, offset: f.offset }, err);
    throw err;
  }
}

/**
 * The decrypted payload. With `out`, nothing is allocated: a block stored raw is decrypted straight
 * into `out` (the result is then a view of it, as for a compressed block), a compressed one into
 * this thread's scratch. Without `out`, a fresh buffer the caller may keep.
 */
function open(key: Uint8Array, f: FrameView, aad: Uint8Array, out: Uint8Array | undefined): Uint8Array {
  if (!out) return openBlob(key, f.header.nonce!, aad, f.payload);
  const ctLen = Math.max(0, f.payload.length - TAG_BYTES);
  const into = f.header.codec === CodecId.none && out.length >= ctLen ? out : openScratch.get(ctLen);
  return openInto(key, f.header.nonce!, aad, f.payload, into);
}

/** A per-thread output buffer for decodeFrame, grown to the largest block seen (bounded by the format). */
export class DecodeScratch {
  #buf = new Uint8Array(0);

  get(rawLength: number): Uint8Array {
    if (this.#buf.length < rawLength) this.#buf = Buffer.allocUnsafeSlow(rawLength);
    return this.#buf;
  }
}

/** Where a compressed block's plaintext is decrypted to before it is decoded into `out` (open()). */
const openScratch = new DecodeScratch();
