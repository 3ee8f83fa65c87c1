/** VHDX headers at 64 KiB and 128 KiB (formats.md §1.4): 4 KiB, CRC-32C over all of it. */
import { dmError } from '../../../errors.js';
import { HEADER_SIZE, SIG_HEADER } from './constants.js';
import { dataView, readAscii, writeAscii, type DecodeContext } from './bytes.js';
import { checksumMatches, sealChecksum } from './crc32c.js';
import { readGuid, writeGuid, type Guid } from './guid.js';

export interface VhdxHeader {
  sequenceNumber: bigint;
  fileWriteGuid: Guid;
  dataWriteGuid: Guid;
  logGuid: Guid;
  logVersion: number;
  version: number;
  logLength: number;
  logOffset: number;
}

const CHECKSUM_OFFSET = 4;

export function encodeHeader(h: VhdxHeader): Uint8Array {
  const buf = new Uint8Array(HEADER_SIZE);
  const dv = dataView(buf);
  writeAscii(buf, 0, SIG_HEADER);
  dv.setBigUint64(8, h.sequenceNumber, true);
  writeGuid(buf, 16, h.fileWriteGuid);
  writeGuid(buf, 32, h.dataWriteGuid);
  writeGuid(buf, 48, h.logGuid);
  dv.setUint16(64, h.logVersion, true);
  dv.setUint16(66, h.version, true);
  dv.setUint32(68, h.logLength, true);
  dv.setBigUint64(72, BigInt(h.logOffset), true);
  sealChecksum(buf, CHECKSUM_OFFSET);
  return buf;
}

/**
 * Decodes one header. Valid means signature `head`, matching CRC-32C and Version 1 (qemu's rule);
 * anything else throws DM_ERR_VHDX_HEADER so the caller can fall back to the other copy. The log
 * fields are checked where the log is used.
 */
export function decodeHeader(buf: Uint8Array, ctx: DecodeContext): VhdxHeader {
  const loc = (field: string) => ({ file: ctx.file, offset: ctx.offset, field });
  if (buf.length < HEADER_SIZE) throw dmError('DM_ERR_VHDX_HEADER', 'header is truncated', loc('Header'));
  const h = buf.length === HEADER_SIZE ? buf : buf.subarray(0, HEADER_SIZE);
  if (readAscii(h, 0, 4) !== SIG_HEADER)
    throw dmError('DM_ERR_VHDX_HEADER', 'header signature is not "head"', loc('Signature'));
  if (!checksumMatches(h, CHECKSUM_OFFSET))
    throw dmError('DM_ERR_VHDX_HEADER', 'header CRC-32C does not match', loc('Checksum'));
  const dv = dataView(h);
  const version = dv.getUint16(66, true);
  if (version !== 1)
    throw dmError('DM_ERR_VHDX_HEADER', `header version is ${version}, expected 1`, loc('Version'));
  const logOffset = dv.getBigUint64(72, true);
  return {
    sequenceNumber: dv.getBigUint64(8, true),
    fileWriteGuid: readGuid(h, 16),
    dataWriteGuid: readGuid(h, 32),
    logGuid: readGuid(h, 48),
    logVersion: dv.getUint16(64, true),
    version,
    logLength: dv.getUint32(68, true),
    // A forged offset beyond 2^53 becomes Infinity-like garbage; clamp to a value the log check rejects.
    logOffset: logOffset > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(logOffset),
  };
}
