/**
 * A blob frame inside a pack: FRAME_HEADER_SIZE header bytes, then `storedLength` payload bytes.
 *
 *   0  4  magic "DMBF"                  16  32  block identity (BLAKE3-256, keyed when encrypted)
 *   4  1  codec (core/blob.ts CodecId)   48  12  GCM nonce (0 when not encrypted)
 *   5  1  flags (bit 0 encrypted)        60   4  reserved (0)
 *   6  2  reserved (0)                   64   4  frame CRC-32C: bytes 0..64, then the payload
 *   8  4  raw (uncompressed) length      68   4  header CRC-32C: bytes 0..68
 *  12  4  stored (payload) length
 *
 * The header CRC lets a scanner trust `storedLength` before reading the payload; the frame CRC
 * covers header and payload. When encrypted, GCM authenticates the payload as well, with
 * core/blob.ts blobAad(identity, codec, rawLength) as additional data.
 */
import { dmError } from '../errors.js';
import { FLAG_ENCRYPTED, FRAME_HEADER_SIZE, FRAME_MAGIC, MAX_STORED_LENGTH } from './constants.js';
import { crc32c, view } from './bytes.js';

export interface FrameFields {
  readonly identity: Uint8Array;
  readonly codec: number;
  readonly rawLength: number;
  readonly storedLength: number;
  readonly nonce: Uint8Array | undefined;
}

export interface FrameHeader extends FrameFields {
  readonly encrypted: boolean;
  readonly frameCrc: number;
}

const FRAME_CRC = 64;
const HEADER_CRC = 68;
const CODEC_MAX = 3;

/** Encodes the header; the payload is CRC'd in place (never copied) and written after it. */
export function encodeFrameHeader(f: FrameFields, payload: Uint8Array): Uint8Array {
  return encodeFrameHeaderInto(f, payload, new Uint8Array(FRAME_HEADER_SIZE));
}

/**
 * encodeFrameHeader into `buf` (FRAME_HEADER_SIZE bytes; reserved bytes must be zero). The compute
 * threads use it right after sealing, while the payload is still in their cache, so the writer's
 * thread never runs the payload CRC.
 */
export function encodeFrameHeaderInto(f: FrameFields, payload: Uint8Array, buf: Uint8Array): Uint8Array {
  const dv = view(buf);
  dv.setUint32(0, FRAME_MAGIC, true);
  buf[4] = f.codec;
  buf[5] = f.nonce ? FLAG_ENCRYPTED : 0;
  dv.setUint32(8, f.rawLength, true);
  dv.setUint32(12, f.storedLength, true);
  buf.set(f.identity.subarray(0, 32), 16);
  if (f.nonce) buf.set(f.nonce.subarray(0, 12), 48);
  dv.setUint32(FRAME_CRC, crc32c(payload, crc32c(buf.subarray(0, FRAME_CRC))), true);
  dv.setUint32(HEADER_CRC, crc32c(buf.subarray(0, HEADER_CRC)), true);
  return buf;
}

/** Decodes and checks a header (magic, header CRC, bounds). Fields are views into `buf`. */
export function decodeFrameHeader(buf: Uint8Array, file: string, offset: number): FrameHeader {
  if (buf.length < FRAME_HEADER_SIZE)
    throw dmError('DM_ERR_REPO_FORMAT', 'blob frame header is truncated', { file, offset });
  const dv = view(buf);
  if (dv.getUint32(0, true) !== FRAME_MAGIC)
    throw dmError('DM_ERR_REPO_FORMAT', 'blob frame has a bad magic number', {
      file,
      offset,
      field: 'magic',
    });
  if (dv.getUint32(HEADER_CRC, true) !== crc32c(buf.subarray(0, HEADER_CRC)))
    throw dmError('DM_ERR_REPO_CHECKSUM', 'blob frame header fails its CRC-32C', { file, offset });
  const flags = buf[5]!;
  const codec = buf[4]!;
  const storedLength = dv.getUint32(12, true);
  const rawLength = dv.getUint32(8, true);
  if ((flags & ~FLAG_ENCRYPTED) !== 0 || codec > CODEC_MAX)
    throw dmError('DM_ERR_REPO_VERSION', `blob frame uses unknown codec ${codec} or flags ${flags}`, {
      file,
      offset,
    });
  if (storedLength > MAX_STORED_LENGTH || rawLength > MAX_STORED_LENGTH)
    throw dmError('DM_ERR_REPO_FORMAT', `blob frame length ${storedLength} is out of range`, {
      file,
      offset,
    });
  const encrypted = flags === FLAG_ENCRYPTED;
  return {
    identity: buf.subarray(16, 48),
    codec,
    rawLength,
    storedLength,
    nonce: encrypted ? buf.subarray(48, 60) : undefined,
    encrypted,
    frameCrc: dv.getUint32(FRAME_CRC, true),
  };
}

/** True when the frame CRC matches header bytes 0..64 followed by the payload. */
export function frameCrcMatches(header: Uint8Array, payload: Uint8Array): boolean {
  const stored = view(header).getUint32(FRAME_CRC, true);
  return stored === crc32c(payload, crc32c(header.subarray(0, FRAME_CRC)));
}
