/** Little-endian field helpers shared by the VHDX codecs. */

export function dataView(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** u64 LE as a number, or undefined when it does not fit in 2^53 (a forged size, never trusted). */
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

export function readAscii(buf: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(buf[offset + i] ?? 0);
  return s;
}

export function writeAscii(buf: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) buf[offset + i] = text.charCodeAt(i);
}

export function isAllZero(buf: Uint8Array, start = 0, end = buf.length): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Where a structure was read from, for error messages. */
export interface DecodeContext {
  readonly file: string;
  readonly offset: number;
}
