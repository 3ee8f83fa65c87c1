/** Little-endian field helpers shared by the VHDX codecs. */

export { dataView, readU64, writeU64 } from '../../../core/little-endian.js';

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
