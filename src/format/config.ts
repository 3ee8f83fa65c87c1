/**
 * The repository `config` file: CONFIG_SIZE bytes, little-endian.
 *
 *   0   8  magic "DMREPO\r\n"          56  32  KDF salt
 *   8   2  version (1)                  88  12  key-wrap nonce
 *  10   2  flags (bit 0 encrypted)     100  32  wrapped data key (AES-256-GCM ciphertext)
 *  12   4  structure size (160)        132  16  key-wrap GCM tag
 *  16  16  repository id               148   8  reserved (0)
 *  32   8  created (ms since epoch)    156   4  CRC-32C of bytes 0..156
 *  40   1  KDF id, 41 3 reserved
 *  44  12  KDF params p1 p2 p3 (u32)
 *
 * The key wrap's additional data is bytes 0..88, binding the wrapped key to this repository and
 * its KDF parameters.
 */
import { dmError } from '../errors.js';
import { CONFIG_MAGIC, CONFIG_SIZE, CONFIG_VERSION, FLAG_ENCRYPTED, KdfId } from './constants.js';
import type { KdfIdValue } from './constants.js';
import { crc32c, readU64, view, writeU64 } from './bytes.js';
import { checkMagic, checkVersionAndFlags } from './flags.js';

export const CONFIG_WRAP_AAD_END = 88;
const CRC_OFFSET = 156;

export interface KdfParams {
  readonly id: KdfIdValue;
  /** scrypt: log2 N, r, p. PBKDF2-SHA256: iterations, 0, 0. none: 0, 0, 0. */
  readonly p1: number;
  readonly p2: number;
  readonly p3: number;
  readonly salt: Uint8Array;
}

export interface RepoConfig {
  readonly version: number;
  readonly encrypted: boolean;
  readonly repoId: Uint8Array;
  readonly createdMs: number;
  readonly kdf: KdfParams;
  /** nonce (12) + wrapped key (32) + tag (16); all zero when not encrypted. */
  readonly wrapNonce: Uint8Array;
  readonly wrappedKey: Uint8Array;
  readonly wrapTag: Uint8Array;
}

/** Encodes everything but the wrap fields and CRC; the caller fills the wrap via `finishConfig`. */
export function encodeConfig(cfg: RepoConfig): Uint8Array {
  const buf = new Uint8Array(CONFIG_SIZE);
  const dv = view(buf);
  buf.set(CONFIG_MAGIC, 0);
  dv.setUint16(8, CONFIG_VERSION, true);
  dv.setUint16(10, cfg.encrypted ? FLAG_ENCRYPTED : 0, true);
  dv.setUint32(12, CONFIG_SIZE, true);
  buf.set(cfg.repoId.subarray(0, 16), 16);
  writeU64(dv, 32, cfg.createdMs);
  buf[40] = cfg.kdf.id;
  dv.setUint32(44, cfg.kdf.p1, true);
  dv.setUint32(48, cfg.kdf.p2, true);
  dv.setUint32(52, cfg.kdf.p3, true);
  buf.set(cfg.kdf.salt.subarray(0, 32), 56);
  buf.set(cfg.wrapNonce.subarray(0, 12), 88);
  buf.set(cfg.wrappedKey.subarray(0, 32), 100);
  buf.set(cfg.wrapTag.subarray(0, 16), 132);
  dv.setUint32(CRC_OFFSET, crc32c(buf.subarray(0, CRC_OFFSET)), true);
  return buf;
}

/** The additional authenticated data for the key wrap: bytes 0..88 of the encoded config. */
export function configWrapAad(cfg: RepoConfig): Uint8Array {
  return encodeConfig(cfg).slice(0, CONFIG_WRAP_AAD_END);
}

export function decodeConfig(buf: Uint8Array, file: string): RepoConfig {
  checkMagic(buf, CONFIG_MAGIC, file, 'repository config');
  if (buf.length !== CONFIG_SIZE)
    throw dmError('DM_ERR_REPO_FORMAT', `repository config is ${buf.length} bytes, expected ${CONFIG_SIZE}`, {
      file,
    });
  const dv = view(buf);
  if (dv.getUint32(CRC_OFFSET, true) !== crc32c(buf.subarray(0, CRC_OFFSET)))
    throw dmError('DM_ERR_REPO_CHECKSUM', 'repository config fails its CRC-32C', {
      file,
      offset: CRC_OFFSET,
    });
  const flags = dv.getUint16(10, true);
  checkVersionAndFlags(dv.getUint16(8, true), CONFIG_VERSION, flags, file, 'repository config');
  if (dv.getUint32(12, true) !== CONFIG_SIZE)
    throw dmError('DM_ERR_REPO_FORMAT', 'repository config size field is wrong', { file, offset: 12 });
  const kdfId = buf[40]!;
  if (kdfId !== KdfId.none && kdfId !== KdfId.scrypt && kdfId !== KdfId.pbkdf2Sha256)
    throw dmError('DM_ERR_REPO_VERSION', `unknown KDF id ${kdfId}`, { file, offset: 40, field: 'kdf' });
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  if (encrypted === (kdfId === KdfId.none))
    throw dmError('DM_ERR_REPO_FORMAT', 'encryption flag and KDF id disagree', { file, offset: 40 });
  return {
    version: dv.getUint16(8, true),
    encrypted,
    repoId: buf.slice(16, 32),
    createdMs: readU64(dv, 32) ?? 0,
    kdf: {
      id: kdfId as KdfIdValue,
      p1: dv.getUint32(44, true),
      p2: dv.getUint32(48, true),
      p3: dv.getUint32(52, true),
      salt: buf.slice(56, 88),
    },
    wrapNonce: buf.slice(88, 100),
    wrappedKey: buf.slice(100, 132),
    wrapTag: buf.slice(132, 148),
  };
}
