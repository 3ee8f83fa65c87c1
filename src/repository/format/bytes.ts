/** Little-endian field helpers and the CRC-32C used by every repository structure. Pure. */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** u64 LE as a number, or undefined above 2^53 (a forged size is never trusted). */
export function readU64(dv: DataView, offset: number): number | undefined {
  const lo = dv.getUint32(offset, true);
  const hi = dv.getUint32(offset + 4, true);
  if (hi >= 0x200000) return undefined;
  return hi * 0x100000000 + lo;
}

export function writeU64(dv: DataView, offset: number, value: number): void {
  dv.setUint32(offset, value >>> 0, true);
  dv.setUint32(offset + 4, Math.floor(value / 0x100000000), true);
}

/** CRC-32C (Castagnoli); `seed` continues an earlier CRC so header + payload need no concatenation. */
export function crc32c(bytes: Uint8Array, seed?: number): number {
  return nativeCrc32c(bytes, seed) >>> 0;
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
