/**
 * One block through the compute stages: identity → compress → encrypt (sealBlock / sealBlockInto,
 * used by the worker-thread and main-thread backup engines), and back for one SealedBlob: decrypt →
 * decompress → re-hash (openSealed, the inverse the tests check sealing against). Restore and verify
 * open frames read from packs through frame-open.ts instead.
 */
import {
  IDENTITY_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  blobAad,
  type CodecIdValue,
  type CompressionLevel,
  type SealedBlob,
} from '../core/blob.js';
import { dmError } from '../errors.js';
import { openBlob, sealBlob, sealInto } from './cipher/aes-gcm.js';
import {
  compressBlock,
  compressTransient,
  copyBytes,
  decompressBlock,
  type CompressOptions,
} from './codecs/block-codec.js';
import { blockIdentity, identitiesEqual } from './identity.js';

export interface SealOptions extends CompressOptions {
  readonly level: CompressionLevel;
  /** 32-byte BLAKE3 key: identities are keyed (required for encrypted repositories). */
  readonly identityKey?: Uint8Array;
  /** 32-byte AES-256-GCM key of the writer session; when given, `nonce` is required. */
  readonly blobKey?: Uint8Array;
  /** 12-byte nonce assigned by the main thread (`nonceFromCounter`). */
  readonly nonce?: Uint8Array;
  /** Identity computed earlier (the pipeline hashes before dedup); trusted as is. */
  readonly identity?: Uint8Array;
}

/** Everything of a SealedBlob except the payload bytes, which sealBlockInto wrote elsewhere. */
export interface SealedHeader {
  readonly identity: Uint8Array;
  readonly codec: CodecIdValue;
  readonly rawLength: number;
  readonly payloadLength: number;
  readonly nonce: Uint8Array | undefined;
}

/** Worst-case payload size for a block of `rawLength` bytes (raw storage plus a GCM tag). */
export function maxPayloadBytes(rawLength: number): number {
  return rawLength + TAG_BYTES;
}

function resolveIdentity(data: Uint8Array, opts: SealOptions): Uint8Array {
  if (opts.identity === undefined) return blockIdentity(data, opts.identityKey);
  if (opts.identity.length !== IDENTITY_BYTES) {
    throw dmError('DM_ERR_INTERNAL', `identity must be ${IDENTITY_BYTES} bytes`, { field: 'identity' });
  }
  return opts.identity;
}

function requireNonce(opts: SealOptions): Uint8Array {
  if (opts.nonce?.length !== NONCE_BYTES) {
    throw dmError('DM_ERR_INTERNAL', 'encryption needs a 12-byte nonce from the main thread', {
      field: 'nonce',
    });
  }
  return opts.nonce;
}

/** Seals `data` into a self-contained SealedBlob (payload owned by the caller). */
export function sealBlock(data: Uint8Array, opts: SealOptions): SealedBlob {
  const identity = resolveIdentity(data, opts);
  const rawLength = data.length;
  if (opts.blobKey === undefined) {
    const { codec, data: payload } = compressBlock(opts.level, data, opts);
    return {
      identity,
      codec,
      rawLength,
      payload: payload === data ? copyBytes(data) : payload,
      nonce: undefined,
    };
  }
  const nonce = requireNonce(opts);
  const { codec, data: plain } = compressTransient(opts.level, data, opts);
  const payload = sealBlob(opts.blobKey, nonce, blobAad(identity, codec, rawLength), plain);
  return { identity, codec, rawLength, payload, nonce };
}

/**
 * Seals `data`, writing the payload to `out[outOffset..]` (needs `maxPayloadBytes(data.length)`
 * bytes). The worker hot path: the output lands in a recycled buffer, nothing big is allocated
 * that outlives the call.
 */
export function sealBlockInto(
  data: Uint8Array,
  opts: SealOptions,
  out: Uint8Array,
  outOffset = 0,
): SealedHeader {
  const identity = resolveIdentity(data, opts);
  const rawLength = data.length;
  const { codec, data: plain } = compressTransient(opts.level, data, opts);
  let payloadLength: number;
  let nonce: Uint8Array | undefined;
  if (opts.blobKey === undefined) {
    if (outOffset + plain.length > out.length) {
      throw dmError('DM_ERR_INTERNAL', `output buffer too small for ${plain.length} bytes`);
    }
    out.set(plain, outOffset);
    payloadLength = plain.length;
  } else {
    nonce = requireNonce(opts);
    payloadLength = sealInto(opts.blobKey, nonce, blobAad(identity, codec, rawLength), plain, out, outOffset);
  }
  return { identity, codec, rawLength, payloadLength, nonce };
}

/** The fields openSealed needs: a SealedBlob as read back from the repository. */
export type SealedBlobLike = Pick<SealedBlob, 'identity' | 'codec' | 'rawLength' | 'payload' | 'nonce'>;

/**
 * Opens a stored blob: decrypt (when it has a nonce) → decompress → re-hash and compare with its
 * identity. Throws DM_ERR_CRYPTO_AUTH when authentication fails (or an unencrypted blob shows up
 * where a key says it must be encrypted), DM_ERR_CODEC on undecodable data, DM_ERR_REPO_CHECKSUM
 * when the block does not hash to its identity. `identityKey` is the key identities were made with.
 */
export function openSealed(blob: SealedBlobLike, blobKey?: Uint8Array, identityKey?: Uint8Array): Uint8Array {
  let compressed = blob.payload;
  if (blob.nonce !== undefined) {
    if (blobKey === undefined) {
      throw dmError('DM_ERR_CRYPTO_PASSWORD_REQUIRED', 'the blob is encrypted and no key was given');
    }
    compressed = openBlob(
      blobKey,
      blob.nonce,
      blobAad(blob.identity, blob.codec, blob.rawLength),
      blob.payload,
    );
  } else if (blobKey !== undefined) {
    // Refuse a downgrade: in an encrypted repository every blob must authenticate.
    throw dmError('DM_ERR_CRYPTO_AUTH', 'an unencrypted blob in an encrypted repository');
  }
  const data = decompressBlock(blob.codec, compressed, blob.rawLength);
  if (!identitiesEqual(blockIdentity(data, identityKey), blob.identity)) {
    throw dmError('DM_ERR_REPO_CHECKSUM', 'block does not match its identity after decoding', {
      field: 'identity',
    });
  }
  return data;
}
