/** Little-endian field access and bounded reads shared by the partition and NTFS parsers. */
import type { DiskSource } from '../source/disk-source.js';
import { dmError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

export function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Unsigned 64-bit field as a number; values above 2^53 come back as Infinity so range checks fail. */
export function u64(b: Uint8Array, o: number): number {
  const hi = u32(b, o + 4);
  if (hi >= 0x200000) return Infinity;
  return hi * 0x100000000 + u32(b, o);
}

/** Signed 64-bit field; magnitudes at or above 2^53 come back as ±Infinity. */
export function s64(b: Uint8Array, o: number): number {
  const hi = u32(b, o + 4);
  if (hi & 0x80000000) {
    const neg = ~hi >>> 0;
    if (neg >= 0x200000) return -Infinity;
    return -(neg * 0x100000000 + (~u32(b, o) >>> 0) + 1);
  }
  return u64(b, o);
}

/**
 * A 64-bit field's exact value as decimal text, for messages: u64/s64 turn values beyond 2^53 into
 * ±Infinity for their range checks, and "total sectors Infinity" tells nobody what the field holds.
 */
export function show64(b: Uint8Array, o: number, signed = false): string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return (signed ? view.getBigInt64(o, true) : view.getBigUint64(o, true)).toString();
}

export function s8(b: Uint8Array, o: number): number {
  const v = b[o]!;
  return v > 127 ? v - 256 : v;
}

export function ascii(b: Uint8Array, o: number, n: number): string {
  return String.fromCharCode(...b.subarray(o, o + n));
}

/** UTF-16LE text of `chars` code units. */
export function utf16(b: Uint8Array, o: number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += String.fromCharCode(u16(b, o + 2 * i));
  return s;
}

/**
 * Reads `length` bytes at disk `offset` into a fresh buffer. Metadata reads only (small, bounded by
 * the caller); a range outside the disk is reported with the caller's error code, not the source's.
 */
export async function readDisk(
  source: DiskSource,
  offset: number,
  length: number,
  code: ErrorCode,
  field: string,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > source.virtualSize) {
    throw dmError(code, `${field} lies outside the disk (${length} bytes at ${offset})`, {
      file: source.path,
      offset: Number.isFinite(offset) ? offset : undefined,
      field,
    });
  }
  const buf = new Uint8Array(length);
  if (length > 0) await source.read(buf, offset, length, 0);
  return buf;
}
