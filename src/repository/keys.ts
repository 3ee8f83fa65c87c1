/**
 * Encryption at rest: password → KDF → key-encryption key, which unwraps a random 32-byte data key
 * (AES-256-GCM); every working key is derived from the data key with HKDF-SHA256:
 *   identity key = HKDF(dataKey, no salt,      "datamover identity v1")  stable: dedup across sessions
 *   blob key     = HKDF(dataKey, session salt, "datamover blob v1")      one per writer session
 *   metadata key = HKDF(dataKey, file salt,    "datamover meta v1")      one per metadata file
 * KDF: scrypt N=2^17, r=8, p=1 (128 MiB, memory-hard; ~0.3-0.5 s on the build machines). The cost
 * is stored in the config, so it can rise later without a format change. Forged parameters are
 * bounded before use (no giant allocation, no hang).
 * Secrets never enter error messages: failures say what failed, never with which bytes.
 */
import { hkdfSync, randomBytes, scrypt, pbkdf2 } from 'node:crypto';
import { dmError } from '../errors.js';
import { openBlob, sealBlob } from '../compute/cipher/aes-gcm.js';
import { KdfId } from '../format/constants.js';
import type { KdfParams } from '../format/config.js';

export const DATA_KEY_BYTES = 32;
export const DEFAULT_SCRYPT_LOG_N = 17;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
/** Accepted when opening; outside these a config is forged or from the future. */
const SCRYPT_LOG_N_RANGE = [10, 22] as const;
const PBKDF2_MIN_ITERATIONS = 600_000;
const PBKDF2_MAX_ITERATIONS = 50_000_000;

export interface RepoKeys {
  readonly identityKey: Uint8Array;
  deriveBlobKey(salt: Uint8Array): Uint8Array;
  deriveMetaKey(salt: Uint8Array): Uint8Array;
}

export function newKdfParams(scryptLogN = DEFAULT_SCRYPT_LOG_N): KdfParams {
  if (
    !Number.isInteger(scryptLogN) ||
    scryptLogN < SCRYPT_LOG_N_RANGE[0] ||
    scryptLogN > SCRYPT_LOG_N_RANGE[1]
  )
    throw dmError('DM_ERR_ARG_INVALID', `scrypt log2 N must be ${SCRYPT_LOG_N_RANGE.join('..')}`, {
      field: 'scryptLogN',
    });
  return { id: KdfId.scrypt, p1: scryptLogN, p2: SCRYPT_R, p3: SCRYPT_P, salt: randomBytes(32) };
}

function kdfOutOfRange(file: string): never {
  throw dmError('DM_ERR_REPO_FORMAT', 'KDF parameters are out of the accepted range', { file, field: 'kdf' });
}

/** Derives the 32-byte key-encryption key from the password with the stored parameters. */
export async function deriveKek(password: string, kdf: KdfParams, file: string): Promise<Uint8Array> {
  const secret = Buffer.from(password, 'utf8');
  if (kdf.id === KdfId.scrypt) {
    const [logN, r, p] = [kdf.p1, kdf.p2, kdf.p3];
    if (logN < SCRYPT_LOG_N_RANGE[0] || logN > SCRYPT_LOG_N_RANGE[1] || r < 1 || r > 32 || p < 1 || p > 16)
      kdfOutOfRange(file);
    const maxmem = 128 * 2 ** logN * r * p + 64 * 1024 * 1024;
    return new Promise((resolve, reject) =>
      scrypt(secret, kdf.salt, 32, { N: 2 ** logN, r, p, maxmem }, (err, key) =>
        err ? reject(dmError('DM_ERR_INTERNAL', 'scrypt failed', { file })) : resolve(new Uint8Array(key)),
      ),
    );
  }
  if (kdf.id === KdfId.pbkdf2Sha256) {
    if (kdf.p1 < PBKDF2_MIN_ITERATIONS || kdf.p1 > PBKDF2_MAX_ITERATIONS) kdfOutOfRange(file);
    return new Promise((resolve, reject) =>
      pbkdf2(secret, kdf.salt, kdf.p1, 32, 'sha256', (err, key) =>
        err ? reject(dmError('DM_ERR_INTERNAL', 'PBKDF2 failed', { file })) : resolve(new Uint8Array(key)),
      ),
    );
  }
  throw dmError('DM_ERR_REPO_FORMAT', 'the repository has no key derivation', { file, field: 'kdf' });
}

export function wrapDataKey(kek: Uint8Array, aad: Uint8Array, dataKey: Uint8Array) {
  const nonce = randomBytes(12);
  const sealed = sealBlob(kek, nonce, aad, dataKey);
  return { nonce, wrapped: sealed.subarray(0, DATA_KEY_BYTES), tag: sealed.subarray(DATA_KEY_BYTES) };
}

/** Wrong password, or an altered config that slipped past its CRC: both fail the GCM tag. */
export function unwrapDataKey(
  kek: Uint8Array,
  aad: Uint8Array,
  nonce: Uint8Array,
  wrapped: Uint8Array,
  tag: Uint8Array,
  file: string,
): Uint8Array {
  const sealed = new Uint8Array(wrapped.length + tag.length);
  sealed.set(wrapped, 0);
  sealed.set(tag, wrapped.length);
  try {
    return openBlob(kek, nonce, aad, sealed);
  } catch {
    throw dmError('DM_ERR_CRYPTO_PASSWORD', 'the password is wrong (the data key cannot be unwrapped)', {
      file,
    });
  }
}

function hkdf(key: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', key, salt, info, 32));
}

export function repoKeys(dataKey: Uint8Array): RepoKeys {
  const key = Uint8Array.from(dataKey);
  return {
    identityKey: hkdf(key, new Uint8Array(0), 'datamover identity v1'),
    deriveBlobKey: (salt) => hkdf(key, salt, 'datamover blob v1'),
    deriveMetaKey: (salt) => hkdf(key, salt, 'datamover meta v1'),
  };
}
