/**
 * Pack file header: PACK_HEADER_SIZE bytes at offset 0 of every pack, then blob frames (frame.ts).
 *
 *   0  8  magic "DMPACK\r\n"        32  32  session salt (blob key = HKDF(dataKey, salt); 0 if plain)
 *   8  2  version (1)                64   8  created (ms since epoch)
 *  10  2  flags (bit 0 encrypted)    72   4  reserved (0)
 *  12  4  header size (80)           76   4  CRC-32C of bytes 0..76
 *  16  8  writer session id
 *  24  4  pack sequence number within the session, 28 4 reserved (0)
 */
import { dmError } from '../errors.js';
import { FLAG_ENCRYPTED, PACK_HEADER_SIZE, PACK_MAGIC, PACK_VERSION } from './constants.js';
import { crc32c, readU64, view, writeU64 } from './bytes.js';
import { checkMagic, checkVersionAndFlags } from './flags.js';

export interface PackHeader {
  readonly encrypted: boolean;
  readonly sessionId: Uint8Array;
  readonly seq: number;
  readonly salt: Uint8Array;
  readonly createdMs: number;
}

const CRC_OFFSET = 76;

export function encodePackHeader(h: PackHeader): Uint8Array {
  const buf = new Uint8Array(PACK_HEADER_SIZE);
  const dv = view(buf);
  buf.set(PACK_MAGIC, 0);
  dv.setUint16(8, PACK_VERSION, true);
  dv.setUint16(10, h.encrypted ? FLAG_ENCRYPTED : 0, true);
  dv.setUint32(12, PACK_HEADER_SIZE, true);
  buf.set(h.sessionId.subarray(0, 8), 16);
  dv.setUint32(24, h.seq, true);
  buf.set(h.salt.subarray(0, 32), 32);
  writeU64(dv, 64, h.createdMs);
  dv.setUint32(CRC_OFFSET, crc32c(buf.subarray(0, CRC_OFFSET)), true);
  return buf;
}

export function decodePackHeader(buf: Uint8Array, file: string): PackHeader {
  checkMagic(buf, PACK_MAGIC, file, 'pack header');
  if (buf.length < PACK_HEADER_SIZE)
    throw dmError('DM_ERR_REPO_FORMAT', 'pack header is truncated', { file });
  const dv = view(buf);
  if (dv.getUint32(CRC_OFFSET, true) !== crc32c(buf.subarray(0, CRC_OFFSET)))
    throw dmError('DM_ERR_REPO_CHECKSUM', 'pack header fails its CRC-32C', { file, offset: CRC_OFFSET });
  const flags = dv.getUint16(10, true);
  checkVersionAndFlags(dv.getUint16(8, true), PACK_VERSION, flags, file, 'pack');
  if (dv.getUint32(12, true) !== PACK_HEADER_SIZE)
    throw dmError('DM_ERR_REPO_FORMAT', 'pack header size field is wrong', { file, offset: 12 });
  return {
    encrypted: (flags & FLAG_ENCRYPTED) !== 0,
    sessionId: buf.slice(16, 24),
    seq: dv.getUint32(24, true),
    salt: buf.slice(32, 64),
    createdMs: readU64(dv, 64) ?? 0,
  };
}
