/**
 * Block identity: BLAKE3-256 of the uncompressed block, keyed when the repository is encrypted.
 *
 * Why BLAKE3-256 (one core, 1 MiB blocks, 2-core build machines):
 * - Speed: performance-notes' table: `@napi-rs/blake-hash` BLAKE3 2.6 GiB/s vs SHA-256
 *   (`node:crypto`) 1.1 GiB/s vs XXH3-128 (`@node-rs/xxhash`, not installed) 1.1 GiB/s.
 *   Re-measured with `node --import tsx bench/stages.ts` (Nov 2026, busy machine, median of
 *   tinybench samples): BLAKE3 3.7–4.4 GiB/s plain, 3.6–4.3 GiB/s keyed; SHA-256 0.5–1.1 GiB/s.
 *   That is ~0.25 ms per MiB, ~10 % of an LZ4 pass. The fastest candidate is also the only
 *   cryptographic one with a keyed mode, so there is no speed/safety trade-off to make.
 * - Dedup safety: identities decide which bytes are stored; a 256-bit cryptographic hash makes an
 *   accidental (or crafted) collision, i.e. a silently wrong restore, infeasible. XXH3 gives no
 *   such guarantee against crafted data.
 * - Privacy: with an encrypted repository the identity is a keyed BLAKE3 MAC (key from the
 *   repository's keys), so stored identities reveal nothing about the plaintext (e.g. no
 *   "does this repository contain file X" test by hashing X).
 *
 * The package always returns a fresh 32-byte Buffer (no "digest into" API); `identityInto` copies
 * those 32 bytes into caller memory, which is negligible next to hashing 1 MiB.
 */
import type { Blake3Hasher } from '@napi-rs/blake-hash';
import { blakeNative } from '../core/native.js';
import { IDENTITY_BYTES } from '../core/blob.js';
import { dmError } from '../errors.js';

/** BLAKE3 keys are exactly 32 bytes. */
export const IDENTITY_KEY_BYTES = 32;

/** Per-thread cache of one keyed hasher: a job uses a single identity key, so this always hits. */
let cachedKey: Uint8Array | undefined;
let cachedHasher: Blake3Hasher | undefined;

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function keyedHasher(key: Uint8Array): Blake3Hasher {
  if (key.byteLength !== IDENTITY_KEY_BYTES) {
    throw dmError(
      'DM_ERR_INTERNAL',
      `identity key must be ${IDENTITY_KEY_BYTES} bytes, got ${key.byteLength}`,
      { field: 'identityKey' },
    );
  }
  if (cachedHasher && cachedKey && Buffer.compare(asBuffer(cachedKey), asBuffer(key)) === 0) {
    cachedHasher.reset(); // reset keeps the key (keyed state), clears the input
    return cachedHasher;
  }
  cachedKey = Uint8Array.from(key); // own copy: the caller may recycle its buffer
  cachedHasher = blakeNative().Blake3Hasher.newKeyed(Buffer.from(cachedKey));
  return cachedHasher;
}

/** 32-byte identity of `data`: keyed BLAKE3 when `key` (32 bytes) is given, plain BLAKE3 otherwise. */
export function blockIdentity(data: Uint8Array, key?: Uint8Array): Uint8Array {
  if (key === undefined) return blakeNative().blake3(asBuffer(data));
  const hasher = keyedHasher(key);
  hasher.update(asBuffer(data));
  return hasher.digestBuffer();
}

/** Like `blockIdentity`, writing the 32 bytes to `out[outOffset..]`; returns `out`. */
export function identityInto(
  data: Uint8Array,
  key: Uint8Array | undefined,
  out: Uint8Array,
  outOffset = 0,
): Uint8Array {
  if (outOffset < 0 || outOffset + IDENTITY_BYTES > out.byteLength) {
    throw dmError('DM_ERR_INTERNAL', `identity does not fit at offset ${outOffset}`, {
      offset: outOffset,
    });
  }
  out.set(blockIdentity(data, key), outOffset);
  return out;
}

/** Constant-time-ish comparison of two identities (both must be IDENTITY_BYTES long). */
export function identitiesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== IDENTITY_BYTES || b.byteLength !== IDENTITY_BYTES) return false;
  let diff = 0;
  for (let i = 0; i < IDENTITY_BYTES; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
