/**
 * The VHDX log (formats.md §1.9): entries of 4 KiB sectors in a circular buffer. Pure decode of one
 * entry (validity exactly as qemu's vhdx_log_search judges it), the active-sequence search, and an
 * encoder for tests that build images with an active log.
 */
import { LOG_SECTOR_SIZE, SIG_LOG_DATA, SIG_LOG_DESC, SIG_LOG_ENTRY, SIG_LOG_ZERO } from './constants.js';
import { dmError } from '../../../errors.js';
import { dataView, readAscii, readU64, writeAscii, writeU64, type DecodeContext } from './bytes.js';
import { checksumMatches, sealChecksum } from './crc32c.js';
import { readGuid, writeGuid, type Guid } from './guid.js';

export type LogDescriptor =
  | { kind: 'data'; fileOffset: number; data: Uint8Array }
  | { kind: 'zero'; fileOffset: number; zeroLength: number };

export interface LogEntry {
  /** Byte position of the entry in the log. */
  position: number;
  entryLength: number;
  tail: number;
  sequenceNumber: bigint;
  logGuid: Guid;
  flushedFileOffset: number;
  lastFileOffset: number;
  descriptors: LogDescriptor[];
}

export interface LogEntryInput {
  sequenceNumber: bigint;
  tail?: number;
  logGuid: Guid;
  flushedFileOffset: number;
  lastFileOffset: number;
  descriptors: readonly LogDescriptor[];
}

const HEADER_SIZE = 64;
const DESC_SIZE = 32;
const DATA_PAYLOAD = 4084;

export function descriptorSectors(count: number): number {
  return Math.ceil((count + 2) / (LOG_SECTOR_SIZE / DESC_SIZE));
}

export function encodeLogEntry(e: LogEntryInput): Uint8Array {
  const dataCount = e.descriptors.filter((d) => d.kind === 'data').length;
  const descSectors = descriptorSectors(e.descriptors.length);
  const entryLength = (descSectors + dataCount) * LOG_SECTOR_SIZE;
  const buf = new Uint8Array(entryLength);
  const dv = dataView(buf);
  writeAscii(buf, 0, SIG_LOG_ENTRY);
  dv.setUint32(8, entryLength, true);
  dv.setUint32(12, e.tail ?? 0, true);
  dv.setBigUint64(16, e.sequenceNumber, true);
  dv.setUint32(24, e.descriptors.length, true);
  writeGuid(buf, 32, e.logGuid);
  writeU64(dv, 48, e.flushedFileOffset);
  writeU64(dv, 56, e.lastFileOffset);
  let dataSector = descSectors;
  e.descriptors.forEach((d, i) => {
    const at = HEADER_SIZE + i * DESC_SIZE;
    if (d.kind === 'zero') {
      writeAscii(buf, at, SIG_LOG_ZERO);
      writeU64(dv, at + 8, d.zeroLength);
    } else {
      if (d.data.length !== LOG_SECTOR_SIZE) throw new RangeError('log data descriptors carry 4 KiB');
      writeAscii(buf, at, SIG_LOG_DESC);
      buf.set(d.data.subarray(4092, 4096), at + 4);
      buf.set(d.data.subarray(0, 8), at + 8);
      const s = dataSector++ * LOG_SECTOR_SIZE;
      writeAscii(buf, s, SIG_LOG_DATA);
      dv.setUint32(s + 4, Number(e.sequenceNumber >> 32n), true);
      buf.set(d.data.subarray(8, 8 + DATA_PAYLOAD), s + 8);
      dv.setUint32(s + 4092, Number(e.sequenceNumber & 0xffffffffn), true);
    }
    writeU64(dv, at + 16, d.fileOffset);
    dv.setBigUint64(at + 24, e.sequenceNumber, true);
  });
  sealChecksum(buf, 4);
  return buf;
}

/** Copies `length` bytes at `pos` of the circular log (wrapping at its end). */
function readCircular(log: Uint8Array, pos: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let p = pos % log.length;
  let done = 0;
  while (done < length) {
    const n = Math.min(length - done, log.length - p);
    out.set(log.subarray(p, p + n), done);
    done += n;
    p = 0;
  }
  return out;
}

/**
 * Decodes the entry at `pos` of the log buffer, or returns undefined when it is not a valid entry of
 * the log `logGuid` (signature, length, sequence, GUID, descriptors, data sectors, CRC-32C).
 */
export function decodeLogEntry(
  log: Uint8Array,
  pos: number,
  logGuid: Guid,
  budget?: { bytes: number },
): LogEntry | undefined {
  if (log.length < LOG_SECTOR_SIZE || pos % LOG_SECTOR_SIZE !== 0 || pos >= log.length) return undefined;
  const head = readCircular(log, pos, HEADER_SIZE);
  const hv = dataView(head);
  if (readAscii(head, 0, 4) !== SIG_LOG_ENTRY) return undefined;
  const entryLength = hv.getUint32(8, true);
  const sequenceNumber = hv.getBigUint64(16, true);
  const count = hv.getUint32(24, true);
  if (entryLength === 0 || entryLength % LOG_SECTOR_SIZE !== 0 || entryLength > log.length) return undefined;
  if (sequenceNumber === 0n || readGuid(head, 32) !== logGuid) return undefined;
  const descSectors = descriptorSectors(count);
  if (descSectors * LOG_SECTOR_SIZE > entryLength) return undefined;
  if (budget && (budget.bytes -= entryLength) < 0) throw new LogSearchBudgetError();
  const entry = readCircular(log, pos, entryLength);
  if (!checksumMatches(entry, 4)) return undefined;
  const dv = dataView(entry);
  const flushed = readU64(dv, 48);
  const last = readU64(dv, 56);
  if (flushed === undefined || last === undefined) return undefined;
  const descriptors: LogDescriptor[] = [];
  let dataSector = descSectors;
  for (let i = 0; i < count; i++) {
    const at = HEADER_SIZE + i * DESC_SIZE;
    const sig = readAscii(entry, at, 4);
    const fileOffset = readU64(dv, at + 16);
    if (fileOffset === undefined || fileOffset % LOG_SECTOR_SIZE !== 0) return undefined;
    if (dv.getBigUint64(at + 24, true) !== sequenceNumber) return undefined;
    if (sig === SIG_LOG_ZERO) {
      const zeroLength = readU64(dv, at + 8);
      if (zeroLength === undefined || zeroLength % LOG_SECTOR_SIZE !== 0) return undefined;
      descriptors.push({ kind: 'zero', fileOffset, zeroLength });
    } else if (sig === SIG_LOG_DESC) {
      const s = dataSector++ * LOG_SECTOR_SIZE;
      if (s + LOG_SECTOR_SIZE > entryLength) return undefined;
      if (readAscii(entry, s, 4) !== SIG_LOG_DATA) return undefined;
      const seqHigh = BigInt(dv.getUint32(s + 4, true));
      const seqLow = BigInt(dv.getUint32(s + 4092, true));
      if (((seqHigh << 32n) | seqLow) !== sequenceNumber) return undefined;
      const data = new Uint8Array(LOG_SECTOR_SIZE);
      data.set(entry.subarray(at + 8, at + 16), 0);
      data.set(entry.subarray(s + 8, s + 8 + DATA_PAYLOAD), 8);
      data.set(entry.subarray(at + 4, at + 8), 4092);
      descriptors.push({ kind: 'data', fileOffset, data });
    } else {
      return undefined;
    }
  }
  return {
    position: pos,
    entryLength,
    tail: dv.getUint32(12, true),
    sequenceNumber,
    logGuid,
    flushedFileOffset: flushed,
    lastFileOffset: last,
    descriptors,
  };
}

/**
 * Finds the active sequence (qemu vhdx_log_search): from every sector position, follow consecutive
 * valid entries with sequence numbers +1; keep the sequence whose head has the greatest number.
 * Returns its entries in replay order, or [] when there is none.
 */
export function findActiveSequence(log: Uint8Array, logGuid: Guid, ctx?: DecodeContext): LogEntry[] {
  // Forged headers at every sector, each claiming the whole log, would cost sectors × length of
  // checksumming; a real log needs about one pass, so a few passes' worth is a generous budget.
  const budget = { bytes: 4 * log.length + 16 * 1024 * 1024 };
  try {
    return searchSequences(log, logGuid, budget);
  } catch (err) {
    if (!(err instanceof LogSearchBudgetError)) throw err;
    throw dmError('DM_ERR_VHDX_LOG', 'the log holds too many candidate entries to search in bounded time', {
      ...(ctx ? { file: ctx.file, offset: ctx.offset } : {}),
      field: 'Log',
    });
  }
}

class LogSearchBudgetError extends Error {}

function searchSequences(log: Uint8Array, logGuid: Guid, budget: { bytes: number }): LogEntry[] {
  const sectors = Math.floor(log.length / LOG_SECTOR_SIZE);
  const cache = new Map<number, LogEntry | undefined>();
  const at = (pos: number): LogEntry | undefined => {
    if (!cache.has(pos)) cache.set(pos, decodeLogEntry(log, pos, logGuid, budget));
    return cache.get(pos);
  };
  let best: LogEntry[] = [];
  for (let s = 0; s < sectors; s++) {
    const first = at(s * LOG_SECTOR_SIZE);
    if (!first) continue;
    const seq = [first];
    let cur = first;
    let bytes = first.entryLength;
    while (bytes < log.length) {
      const next = at((cur.position + cur.entryLength) % log.length);
      if (!next || next.sequenceNumber !== cur.sequenceNumber + 1n) break;
      if (bytes + next.entryLength > log.length) break;
      seq.push(next);
      bytes += next.entryLength;
      cur = next;
    }
    if (best.length === 0 || cur.sequenceNumber > best[best.length - 1]!.sequenceNumber) best = seq;
  }
  return best;
}
