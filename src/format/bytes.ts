/** Little-endian field helpers and the CRC-32C used by every repository structure. Pure. */
import { crc32cNative } from '../core/native.js';

export { dataView as view, readU64, writeU64 } from '../core/little-endian.js';

/** CRC-32C (Castagnoli); `seed` continues an earlier CRC so header + payload need no concatenation. */
export function crc32c(bytes: Uint8Array, seed?: number): number {
  return crc32cNative()(bytes, seed) >>> 0;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
