/**
 * AES-256-GCM for stored blocks (synchronous: run it in workers). Blocks are sealed and opened
 * through the own addon's OpenSSL calls when it is built (into caller memory, no allocation), else
 * through node:crypto; the bytes are the same either way (test/core/native-addon.test.ts).
 *
 * Nonce policy — a nonce is never reused under a key:
 * - Keys: every writer session gets its own blob key, derived by the repository with HKDF from the
 *   repository's data key and a random per-session salt stored with the session's data. Two
 *   sessions (or two concurrent jobs) therefore never share a key, even if their counters collide.
 * - Nonces: a 96-bit big-endian counter per session, assigned by the main thread in block order
 *   (`nonceFromCounter`), never by workers, so parallelism cannot produce duplicates. A session
 *   seals far fewer than 2^32 blocks, well inside GCM's per-key limits for random-free nonces.
 * Output layout: ciphertext || 16-byte tag. The AAD (core/blob.ts `blobAad`) binds identity, codec
 * and raw length, so a blob cannot be swapped or relabelled without failing authentication.
 */
import { createRequire } from 'node:module';
import type * as NodeCrypto from 'node:crypto';
import { NONCE_BYTES, TAG_BYTES } from '../../core/blob.js';
import { ownAddon } from '../../core/native.js';
import { dmError } from '../../errors.js';

type Crypto = typeof NodeCrypto;
/**
 * node:crypto on first use: a compute thread of an unencrypted backup never needs it, and loading
 * it (~20 internal modules) was ~10 ms of each thread's start-up.
 */
let nodeCrypto: Crypto | undefined;
const crypto = (): Crypto => (nodeCrypto ??= createRequire(import.meta.url)('node:crypto') as Crypto);

export const BLOB_KEY_BYTES = 32;

function checkParams(key: Uint8Array, nonce: Uint8Array): void {
  if (key.byteLength !== BLOB_KEY_BYTES) {
    throw dmError('DM_ERR_INTERNAL', `blob key must be ${BLOB_KEY_BYTES} bytes, got ${key.byteLength}`);
  }
  if (nonce.byteLength !== NONCE_BYTES) {
    throw dmError('DM_ERR_INTERNAL', `nonce must be ${NONCE_BYTES} bytes, got ${nonce.byteLength}`);
  }
}

/** Ciphertext bytes of ciphertext || tag; DM_ERR_CRYPTO_AUTH when it cannot even hold the tag. */
function ciphertextLength(sealed: Uint8Array): number {
  if (sealed.length < TAG_BYTES) {
    throw dmError('DM_ERR_CRYPTO_AUTH', `sealed blob of ${sealed.length} bytes is shorter than its tag`);
  }
  return sealed.length - TAG_BYTES;
}

/**
 * Encrypts `plaintext`, writing ciphertext || tag to `out[outOffset..]` (needs plaintext.length +
 * TAG_BYTES bytes); returns the number of bytes written.
 */
export function sealInto(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  outOffset = 0,
): number {
  checkParams(key, nonce);
  const total = plaintext.length + TAG_BYTES;
  if (outOffset < 0 || outOffset + total > out.length) {
    throw dmError('DM_ERR_INTERNAL', `sealed blob of ${total} bytes does not fit at ${outOffset}`);
  }
  // The own addon (native/aes-gcm.c) seals in place: no 1 MiB allocation and two copies per block.
  const native = ownAddon()?.gcmSealInto;
  if (native) return native(key, nonce, aad, plaintext, out, outOffset);
  const cipher = crypto().createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  // node:crypto has no "update into": update() allocates; one copy into `out` is the price.
  const ct = cipher.update(plaintext);
  out.set(ct, outOffset);
  const fin = cipher.final();
  out.set(fin, outOffset + ct.length);
  out.set(cipher.getAuthTag(), outOffset + plaintext.length);
  return total;
}

/** Encrypts `plaintext`; returns a fresh ciphertext || 16-byte tag. */
export function sealBlob(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  checkParams(key, nonce);
  const cipher = crypto().createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/**
 * openBlob into caller memory: decrypts ciphertext || tag into `out` (which must not overlap
 * `sealed`) and returns the plaintext's view of it. Through the own addon nothing is allocated;
 * without it, node:crypto decrypts and the result is copied. Throws DM_ERR_CRYPTO_AUTH like
 * openBlob; `out` then holds bytes nobody may use.
 */
export function openInto(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  out: Uint8Array,
): Uint8Array {
  checkParams(key, nonce);
  const ctLen = ciphertextLength(sealed);
  if (out.length < ctLen)
    throw dmError('DM_ERR_INTERNAL', `output of ${out.length} bytes cannot hold ${ctLen}`);
  const native = ownAddon()?.gcmOpenInto;
  if (!native) {
    out.set(openBlob(key, nonce, aad, sealed));
    return out.subarray(0, ctLen);
  }
  if (native(key, nonce, aad, sealed, out) !== ctLen)
    throw dmError('DM_ERR_CRYPTO_AUTH', 'authenticated decryption failed: the blob was altered');
  return out.subarray(0, ctLen);
}

/** Decrypts ciphertext || tag; throws DM_ERR_CRYPTO_AUTH if the blob, tag, AAD, key or nonce differ. */
export function openBlob(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  checkParams(key, nonce);
  const ctLen = ciphertextLength(sealed);
  const decipher = crypto().createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(ctLen));
  const plain = decipher.update(sealed.subarray(0, ctLen));
  try {
    const fin = decipher.final();
    return fin.length === 0 ? plain : Buffer.concat([plain, fin]);
  } catch (err) {
    throw dmError(
      'DM_ERR_CRYPTO_AUTH',
      'authenticated decryption failed: the blob was altered',
      undefined,
      err,
    );
  }
}

/**
 * The 96-bit nonce for block number `counter` of a session: 4 zero bytes, then the counter as a
 * big-endian 64-bit integer. `counter` must be a safe non-negative integer.
 */
export function nonceFromCounter(counter: number, out: Uint8Array = new Uint8Array(NONCE_BYTES)): Uint8Array {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw dmError('DM_ERR_INTERNAL', `nonce counter ${counter} is not a safe non-negative integer`);
  }
  if (out.length < NONCE_BYTES) throw dmError('DM_ERR_INTERNAL', 'nonce buffer is shorter than 12 bytes');
  const view = new DataView(out.buffer, out.byteOffset, NONCE_BYTES);
  view.setUint32(0, 0);
  view.setUint32(4, Math.floor(counter / 0x1_0000_0000));
  view.setUint32(8, counter >>> 0);
  return out;
}
