/**
 * Restore point manifest body (inside a metadata envelope, envelope.ts, magic "DMPOIN\r\n").
 * Every manifest maps *every* block of the disk, so restoring a point needs that one manifest;
 * incrementals reference blobs written by earlier points of the same backup file.
 *
 * Fixed part (POINT_FIXED_SIZE = 128 bytes):
 *   0  8  point id                 40  4  block count = ceil(virtual size / block size)
 *   8  8  parent point id (0=none) 44  4  blob table entries
 *  16  1  type (PointTypeId)       48  4  pack table entries
 *  17  1  reserved                 52  4  reserved flags (0)
 *  18  2  disk index               56 64  stats: 8 × u64 (PointStats, in field order)
 *  20  4  block size              120  2  vm name bytes, 122 2 change id bytes,
 *  24  8  virtual size            124  2  backup file name bytes, 126 2 reserved
 *  32  8  created (ms)
 * Then: vm, change id, backup file name (UTF-8), zero padding to a multiple of 8;
 * pack table: entries × 24 (session id 8, sequence u32, reserved u32, valid length u64);
 * blob table: entries × 48 (pack index u32, frame length u32, frame offset u64, identity 32);
 * block map: block count × u32 (BLOCK_ZERO, BLOCK_SKIPPED, or a blob table index).
 */
import { dmError } from '../errors.js';
import {
  BLOB_ENTRY_SIZE,
  BLOCK_SKIPPED,
  BLOCK_ZERO,
  ID_BYTES,
  MAX_BLOCK_COUNT,
  MAX_BLOCK_SIZE,
  MAX_NAME_BYTES,
  MIN_BLOCK_SIZE,
  PACK_ENTRY_SIZE,
  POINT_FIXED_SIZE,
  PointTypeId,
} from './constants.js';
import type { PointType } from './constants.js';
import { readU64, view, writeU64 } from './bytes.js';

export interface PackRef {
  readonly sessionId: Uint8Array;
  readonly seq: number;
  /** Bytes of the pack that were durable when the point committed; later bytes are not this point's. */
  readonly validLength: number;
}

export interface BlobEntry {
  readonly pack: number;
  readonly frameLength: number;
  readonly offset: number;
  readonly identity: Uint8Array;
}

export const STAT_FIELDS = [
  'processedBytes',
  'readBytes',
  'transferredBytes',
  'storedBytes',
  'newBlobs',
  'duplicateBlocks',
  'zeroBlocks',
  'skippedBlocks',
] as const;
export type PointStats = Record<(typeof STAT_FIELDS)[number], number>;

export interface PointManifest {
  readonly id: Uint8Array;
  readonly parent: Uint8Array | undefined;
  /** 'other' for a type id this reader does not know; such points still restore (full map). */
  readonly type: PointType | 'other';
  readonly disk: number;
  readonly blockSize: number;
  readonly virtualSize: number;
  readonly createdMs: number;
  readonly vm: string;
  readonly changeId: string;
  readonly backupFile: string;
  readonly stats: PointStats;
  readonly packs: readonly PackRef[];
  readonly blobs: readonly BlobEntry[];
  readonly blocks: Uint32Array;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function blockCountFor(virtualSize: number, blockSize: number): number {
  return Math.ceil(virtualSize / blockSize);
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

export function encodeManifest(m: PointManifest): Uint8Array {
  const names = [utf8.encode(m.vm), utf8.encode(m.changeId), utf8.encode(m.backupFile)];
  const namesLen = pad8(names.reduce((s, n) => s + n.length, 0));
  const packsAt = POINT_FIXED_SIZE + namesLen;
  const blobsAt = packsAt + m.packs.length * PACK_ENTRY_SIZE;
  const blocksAt = blobsAt + m.blobs.length * BLOB_ENTRY_SIZE;
  const buf = new Uint8Array(blocksAt + m.blocks.length * 4);
  const dv = view(buf);
  buf.set(m.id.subarray(0, ID_BYTES), 0);
  if (m.parent) buf.set(m.parent.subarray(0, ID_BYTES), 8);
  buf[16] = m.type === 'other' ? 0xff : PointTypeId[m.type];
  dv.setUint16(18, m.disk, true);
  dv.setUint32(20, m.blockSize, true);
  writeU64(dv, 24, m.virtualSize);
  writeU64(dv, 32, m.createdMs);
  dv.setUint32(40, m.blocks.length, true);
  dv.setUint32(44, m.blobs.length, true);
  dv.setUint32(48, m.packs.length, true);
  STAT_FIELDS.forEach((f, i) => writeU64(dv, 56 + i * 8, m.stats[f]));
  let at = POINT_FIXED_SIZE;
  names.forEach((n, i) => {
    dv.setUint16(120 + i * 2, n.length, true);
    buf.set(n, at);
    at += n.length;
  });
  m.packs.forEach((p, i) => {
    const o = packsAt + i * PACK_ENTRY_SIZE;
    buf.set(p.sessionId.subarray(0, ID_BYTES), o);
    dv.setUint32(o + 8, p.seq, true);
    writeU64(dv, o + 16, p.validLength);
  });
  m.blobs.forEach((b, i) => {
    const o = blobsAt + i * BLOB_ENTRY_SIZE;
    dv.setUint32(o, b.pack, true);
    dv.setUint32(o + 4, b.frameLength, true);
    writeU64(dv, o + 8, b.offset);
    buf.set(b.identity.subarray(0, 32), o + 16);
  });
  // Little-endian hosts only (x86, arm64): the block map is copied as u32 LE in one go.
  buf.set(new Uint8Array(m.blocks.buffer, m.blocks.byteOffset, m.blocks.byteLength), blocksAt);
  return buf;
}

export function decodeManifest(buf: Uint8Array, file: string): PointManifest {
  const bad = (message: string, offset?: number): never => {
    throw dmError('DM_ERR_REPO_FORMAT', `point manifest: ${message}`, {
      file,
      ...(offset !== undefined ? { offset } : {}),
    });
  };
  if (buf.length < POINT_FIXED_SIZE) bad('body is truncated');
  const dv = view(buf);
  const blockSize = dv.getUint32(20, true);
  const virtualSize = readU64(dv, 24);
  const blockCount = dv.getUint32(40, true);
  const blobCount = dv.getUint32(44, true);
  const packCount = dv.getUint32(48, true);
  if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0)
    bad(`block size ${blockSize} is invalid`, 20);
  if (virtualSize === undefined || blockCount > MAX_BLOCK_COUNT) bad('virtual size is out of range', 24);
  if (blockCount !== blockCountFor(virtualSize!, blockSize)) bad('block count does not match the size', 40);
  if (blobCount > blockCount || packCount > Math.max(blobCount, 1)) bad('table sizes are out of range', 44);
  const nameLens = [0, 1, 2].map((i) => dv.getUint16(120 + i * 2, true));
  if (nameLens.some((n) => n > MAX_NAME_BYTES)) bad('a name is too long', 120);
  const namesLen = pad8(nameLens.reduce((s, n) => s + n, 0));
  const packsAt = POINT_FIXED_SIZE + namesLen;
  const blobsAt = packsAt + packCount * PACK_ENTRY_SIZE;
  const blocksAt = blobsAt + blobCount * BLOB_ENTRY_SIZE;
  if (buf.length !== blocksAt + blockCount * 4) bad('body length does not match its tables');
  let at = POINT_FIXED_SIZE;
  const names = nameLens.map((n) => {
    let s = '';
    try {
      s = fromUtf8.decode(buf.subarray(at, at + n));
    } catch {
      bad('a name is not valid UTF-8', at);
    }
    at += n;
    return s;
  });
  const packs: PackRef[] = [];
  for (let i = 0; i < packCount; i++) {
    const o = packsAt + i * PACK_ENTRY_SIZE;
    const validLength = readU64(dv, o + 16);
    if (validLength === undefined) bad('pack valid length is out of range', o + 16);
    packs.push({ sessionId: buf.slice(o, o + 8), seq: dv.getUint32(o + 8, true), validLength: validLength! });
  }
  const blobs: BlobEntry[] = [];
  for (let i = 0; i < blobCount; i++) {
    const o = blobsAt + i * BLOB_ENTRY_SIZE;
    const pack = dv.getUint32(o, true);
    const offset = readU64(dv, o + 8);
    const frameLength = dv.getUint32(o + 4, true);
    if (pack >= packCount || offset === undefined || offset + frameLength > packs[pack]!.validLength)
      bad(`blob ${i} lies outside its pack`, o);
    blobs.push({ pack, frameLength, offset: offset!, identity: buf.slice(o + 16, o + 48) });
  }
  const blocks = new Uint32Array(blockCount);
  new Uint8Array(blocks.buffer).set(buf.subarray(blocksAt));
  for (let i = 0; i < blockCount; i++) {
    const b = blocks[i]!;
    if (b !== BLOCK_ZERO && b !== BLOCK_SKIPPED && b >= blobCount)
      bad(`block ${i} names no blob`, blocksAt + i * 4);
  }
  const typeId = buf[16]!;
  const type = (Object.keys(PointTypeId) as PointType[]).find((k) => PointTypeId[k] === typeId) ?? 'other';
  const parent = buf.subarray(8, 16).some((b) => b !== 0) ? buf.slice(8, 16) : undefined;
  const stats = Object.fromEntries(
    STAT_FIELDS.map((f, i) => [f, readU64(dv, 56 + i * 8) ?? 0]),
  ) as PointStats;
  return {
    id: buf.slice(0, 8),
    parent,
    type,
    disk: dv.getUint16(18, true),
    blockSize,
    virtualSize: virtualSize!,
    createdMs: readU64(dv, 32) ?? 0,
    vm: names[0]!,
    changeId: names[1]!,
    backupFile: names[2]!,
    stats,
    packs,
    blobs,
    blocks,
  };
}
