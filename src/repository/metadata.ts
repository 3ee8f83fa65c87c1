/**
 * Seals and opens metadata files (format/envelope.ts): encrypted and authenticated with a
 * per-file key when the repository is encrypted, CRC-protected always.
 */
import { randomBytes } from 'node:crypto';
import { dmError } from '../errors.js';
import { openBlob, sealBlob } from '../compute/cipher/aes-gcm.js';
import { ENVELOPE_AAD_END, encodeEnvelopeHeader, openEnvelope, sealEnvelope } from '../format/envelope.js';
import type { RepoKeys } from './keys.js';

const TAG_BYTES = 16;

export function sealMetadata(
  magic: Uint8Array,
  version: number,
  plain: Uint8Array,
  keys: RepoKeys | undefined,
): Uint8Array {
  const salt = keys ? randomBytes(32) : new Uint8Array(32);
  const nonce = keys ? randomBytes(12) : new Uint8Array(12);
  const bodyLength = plain.length + (keys ? TAG_BYTES : 0);
  const header = encodeEnvelopeHeader(magic, { version, encrypted: !!keys, bodyLength, salt, nonce });
  const body = keys
    ? sealBlob(keys.deriveMetaKey(salt), nonce, header.subarray(0, ENVELOPE_AAD_END), plain)
    : plain;
  sealEnvelope(header, body);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/** Returns the plaintext body; `version` is the body format version from the header. */
export function openMetadata(
  file: Uint8Array,
  magic: Uint8Array,
  supportedVersion: number,
  keys: RepoKeys | undefined,
  name: string,
  what: string,
): { version: number; plain: Uint8Array } {
  const { header, aad, body } = openEnvelope(file, magic, supportedVersion, name, what);
  if (!header.encrypted) {
    // A plain file in an encrypted repository would be an unauthenticated substitute: refuse it.
    if (keys)
      throw dmError('DM_ERR_CRYPTO_AUTH', `${what} is not encrypted in an encrypted repository`, {
        file: name,
      });
    return { version: header.version, plain: body };
  }
  if (!keys)
    throw dmError('DM_ERR_CRYPTO_PASSWORD_REQUIRED', `${what} is encrypted and no password was given`, {
      file: name,
    });
  try {
    return {
      version: header.version,
      plain: openBlob(keys.deriveMetaKey(header.salt), header.nonce, aad, body),
    };
  } catch {
    throw dmError('DM_ERR_CRYPTO_AUTH', `${what} fails authentication: it was altered`, { file: name });
  }
}
