/**
 * GUIDs in the Microsoft mixed-endian binary layout (formats.md §1.1): Data1 u32 LE, Data2 u16 LE,
 * Data3 u16 LE, Data4 8 raw bytes. In memory a GUID is its canonical lowercase string, no braces.
 */
import { randomUUID } from 'node:crypto';

export type Guid = string;

export const ZERO_GUID: Guid = '00000000-0000-0000-0000-000000000000';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Byte order of the 16 stored bytes as they appear in the canonical string. */
const STRING_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

export function isGuid(s: string): boolean {
  return CANONICAL.test(s);
}

export function readGuid(buf: Uint8Array, offset: number): Guid {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[buf[offset + STRING_ORDER[i]!]!]!;
  }
  return s;
}

export function writeGuid(buf: Uint8Array, offset: number, guid: Guid): void {
  const g = guid.toLowerCase();
  if (!CANONICAL.test(g)) throw new TypeError(`not a canonical GUID: ${guid}`);
  const hex = g.replace(/-/g, '');
  for (let i = 0; i < 16; i++) {
    buf[offset + STRING_ORDER[i]!] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
}

export function randomGuid(): Guid {
  return randomUUID();
}

export function isZeroGuid(g: Guid): boolean {
  return g === ZERO_GUID;
}

/** Parses `{xxxxxxxx-...}` (or unbraced), any case; undefined when it is not a GUID. */
export function parseBracedGuid(s: string): Guid | undefined {
  const m = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/.exec(
    s.trim(),
  );
  if (!m) return undefined;
  const braced = s.trim().startsWith('{');
  if (braced !== s.trim().endsWith('}')) return undefined;
  return m[1]!.toLowerCase();
}

/** `{xxxxxxxx-...}` lowercase, as the parent locator stores parent_linkage. */
export function toBracedGuid(g: Guid): string {
  return `{${g.toLowerCase()}}`;
}
