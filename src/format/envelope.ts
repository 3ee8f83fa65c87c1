/**
 * The envelope around every metadata file (restore point manifests today; indexes, merge journals
 * and retention state later): ENVELOPE_HEADER_SIZE header bytes, then the body.
 *
 *   0  8  magic (per file type)          24  32  salt (encrypted: key = HKDF(dataKey, salt); else 0)
 *   8  2  version of the body format     56  12  GCM nonce (else 0)
 *  10  2  flags (bit 0 encrypted)        68   4  reserved (0)
 *  12  4  header size (80)               72   4  CRC-32C of bytes 0..72, then the body
 *  16  8  stored body length             76   4  header CRC-32C of bytes 0..76
 *
 * Encrypted: body = AES-256-GCM(plaintext) || tag, additional data = header bytes 0..72.
 * Plain: the body is the plaintext; the CRCs are its only protection.
 */
import { dmError } from '../errors.js';
import { ENVELOPE_HEADER_SIZE, FLAG_ENCRYPTED, MAX_METADATA_BODY } from './constants.js';
import { crc32c, readU64, view, writeU64 } from './bytes.js';
import { checkMagic, checkVersionAndFlags } from './flags.js';

export interface EnvelopeHeader {
  readonly version: number;
  readonly encrypted: boolean;
  readonly bodyLength: number;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
}

export const ENVELOPE_AAD_END = 72;
const HEADER_CRC = 76;

/** Header with both CRC fields zero; `sealEnvelope` fills them once the body is final. */
export function encodeEnvelopeHeader(magic: Uint8Array, h: EnvelopeHeader): Uint8Array {
  const buf = new Uint8Array(ENVELOPE_HEADER_SIZE);
  const dv = view(buf);
  buf.set(magic, 0);
  dv.setUint16(8, h.version, true);
  dv.setUint16(10, h.encrypted ? FLAG_ENCRYPTED : 0, true);
  dv.setUint32(12, ENVELOPE_HEADER_SIZE, true);
  writeU64(dv, 16, h.bodyLength);
  buf.set(h.salt.subarray(0, 32), 24);
  buf.set(h.nonce.subarray(0, 12), 56);
  return buf;
}

export function sealEnvelope(header: Uint8Array, body: Uint8Array): void {
  const dv = view(header);
  dv.setUint32(ENVELOPE_AAD_END, crc32c(body, crc32c(header.subarray(0, ENVELOPE_AAD_END))), true);
  dv.setUint32(HEADER_CRC, crc32c(header.subarray(0, HEADER_CRC)), true);
}

/** Checks magic, CRCs, version, flags and the body length against the file; returns header + body. */
export function openEnvelope(
  file: Uint8Array,
  magic: Uint8Array,
  supportedVersion: number,
  name: string,
  what: string,
): { header: EnvelopeHeader; aad: Uint8Array; body: Uint8Array } {
  checkMagic(file, magic, name, what);
  if (file.length < ENVELOPE_HEADER_SIZE)
    throw dmError('DM_ERR_REPO_FORMAT', `${what} header is truncated`, { file: name });
  const dv = view(file);
  if (dv.getUint32(HEADER_CRC, true) !== crc32c(file.subarray(0, HEADER_CRC)))
    throw dmError('DM_ERR_REPO_CHECKSUM', `${what} header fails its CRC-32C`, {
      file: name,
      offset: HEADER_CRC,
    });
  const flags = dv.getUint16(10, true);
  const version = dv.getUint16(8, true);
  checkVersionAndFlags(version, supportedVersion, flags, name, what);
  const bodyLength = readU64(dv, 16);
  if (dv.getUint32(12, true) !== ENVELOPE_HEADER_SIZE || bodyLength === undefined)
    throw dmError('DM_ERR_REPO_FORMAT', `${what} header has a bad size field`, { file: name });
  if (bodyLength > MAX_METADATA_BODY || ENVELOPE_HEADER_SIZE + bodyLength !== file.length)
    throw dmError('DM_ERR_REPO_FORMAT', `${what} body length ${bodyLength} does not match the file`, {
      file: name,
      offset: 16,
    });
  const body = file.subarray(ENVELOPE_HEADER_SIZE);
  const crc = crc32c(body, crc32c(file.subarray(0, ENVELOPE_AAD_END)));
  if (dv.getUint32(ENVELOPE_AAD_END, true) !== crc)
    throw dmError('DM_ERR_REPO_CHECKSUM', `${what} fails its CRC-32C`, {
      file: name,
      offset: ENVELOPE_AAD_END,
    });
  return {
    header: {
      version,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0,
      bodyLength,
      salt: file.slice(24, 56),
      nonce: file.slice(56, 68),
    },
    aad: file.subarray(0, ENVELOPE_AAD_END),
    body,
  };
}
