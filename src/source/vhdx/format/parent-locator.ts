/**
 * The Parent Locator metadata item (formats.md §1.8): a VHDX locator type GUID, then key/value
 * entries whose UTF-16LE strings (no NUL) live at offsets relative to the item start.
 */
import { dmError } from '../../../errors.js';
import { MAX_PARENT_LOCATOR_ENTRIES, PARENT_LOCATOR_TYPE_VHDX } from './constants.js';
import { dataView, type DecodeContext } from './bytes.js';
import { readGuid, writeGuid } from './guid.js';

export interface ParentLocator {
  /** The parent's DataWriteGuid as a braced string, as stored. */
  parentLinkage: string;
  parentLinkage2?: string;
  relativePath?: string;
  volumePath?: string;
  absoluteWin32Path?: string;
  /** Any other keys, kept verbatim. */
  other?: Record<string, string>;
}

const HEADER_SIZE = 20;
const ENTRY_SIZE = 12;

const KNOWN_KEYS = {
  parent_linkage: 'parentLinkage',
  parent_linkage2: 'parentLinkage2',
  relative_path: 'relativePath',
  volume_path: 'volumePath',
  absolute_win32_path: 'absoluteWin32Path',
} as const satisfies Record<string, keyof ParentLocator>;
type KnownKey = keyof typeof KNOWN_KEYS;

function pairsOf(loc: ParentLocator): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, prop] of Object.entries(KNOWN_KEYS) as [KnownKey, keyof ParentLocator][]) {
    const v = loc[prop];
    if (typeof v === 'string') pairs.push([key, v]);
  }
  for (const [k, v] of Object.entries(loc.other ?? {})) pairs.push([k, v]);
  return pairs;
}

export function encodeParentLocator(loc: ParentLocator): Uint8Array {
  const pairs = pairsOf(loc).map(([k, v]) => [Buffer.from(k, 'utf16le'), Buffer.from(v, 'utf16le')] as const);
  const tableEnd = HEADER_SIZE + pairs.length * ENTRY_SIZE;
  const total = pairs.reduce((n, [k, v]) => n + k.length + v.length, tableEnd);
  const buf = new Uint8Array(total);
  const dv = dataView(buf);
  writeGuid(buf, 0, PARENT_LOCATOR_TYPE_VHDX);
  dv.setUint16(18, pairs.length, true);
  let at = tableEnd;
  pairs.forEach(([k, v], i) => {
    const e = HEADER_SIZE + i * ENTRY_SIZE;
    buf.set(k, at);
    dv.setUint32(e, at, true);
    dv.setUint16(e + 8, k.length, true);
    at += k.length;
    buf.set(v, at);
    dv.setUint32(e + 4, at, true);
    dv.setUint16(e + 10, v.length, true);
    at += v.length;
  });
  return buf;
}

export function decodeParentLocator(buf: Uint8Array, ctx: DecodeContext): ParentLocator {
  const fail = (msg: string, offset: number, field: string): never => {
    throw dmError('DM_ERR_VHDX_PARENT_LOCATOR', msg, { file: ctx.file, offset: ctx.offset + offset, field });
  };
  if (buf.length < HEADER_SIZE) fail('parent locator is shorter than its header', 0, 'ParentLocator');
  const type = readGuid(buf, 0);
  if (type !== PARENT_LOCATOR_TYPE_VHDX)
    fail(`parent locator type ${type} is not the VHDX type`, 0, 'LocatorType');
  const dv = dataView(buf);
  const count = dv.getUint16(18, true);
  if (count > MAX_PARENT_LOCATOR_ENTRIES)
    fail(`parent locator has ${count} entries (max 256)`, 18, 'KeyValueCount');
  if (HEADER_SIZE + count * ENTRY_SIZE > buf.length)
    fail('parent locator entries run past the item', 18, 'KeyValueCount');
  const map = new Map<string, string>();
  const str = (offset: number, length: number, field: string): string => {
    if (length === 0 || length % 2 !== 0 || offset + length > buf.length || offset < HEADER_SIZE)
      fail(`parent locator ${field} lies outside the item or has odd length`, offset, field);
    const s = Buffer.from(buf.buffer, buf.byteOffset + offset, length).toString('utf16le');
    if (s.includes('\0')) fail(`parent locator ${field} contains NUL`, offset, field);
    return s;
  };
  for (let i = 0; i < count; i++) {
    const e = HEADER_SIZE + i * ENTRY_SIZE;
    const key = str(dv.getUint32(e, true), dv.getUint16(e + 8, true), `Entry[${i}].Key`);
    const value = str(dv.getUint32(e + 4, true), dv.getUint16(e + 10, true), `Entry[${i}].Value`);
    if (map.has(key)) fail(`parent locator key ${key} appears twice`, e, `Entry[${i}].Key`);
    map.set(key, value);
  }
  const loc: ParentLocator = { parentLinkage: '' };
  const other: Record<string, string> = {};
  for (const [k, v] of map) {
    if (k in KNOWN_KEYS) loc[KNOWN_KEYS[k as KnownKey]] = v;
    else other[k] = v;
  }
  if (!map.has('parent_linkage')) fail('parent locator has no parent_linkage', 0, 'parent_linkage');
  if (loc.relativePath === undefined && loc.volumePath === undefined && loc.absoluteWin32Path === undefined)
    fail(
      'parent locator has no path (relative_path, volume_path or absolute_win32_path)',
      0,
      'ParentLocator',
    );
  if (Object.keys(other).length) loc.other = other;
  return loc;
}
