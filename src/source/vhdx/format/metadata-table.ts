/** The metadata table (formats.md §1.6): entry layout rules, unknown required items refused. */
import { dmError } from '../../../errors.js';
import {
  MAX_METADATA_ENTRIES,
  MAX_METADATA_ITEM_SIZE,
  MAX_METADATA_USER_ENTRIES,
  META_FLAG_IS_REQUIRED,
  META_FLAG_IS_USER,
  META_FLAG_IS_VIRTUAL_DISK,
  META_GUID_FILE_PARAMETERS,
  META_GUID_LOGICAL_SECTOR_SIZE,
  META_GUID_PARENT_LOCATOR,
  META_GUID_PHYSICAL_SECTOR_SIZE,
  META_GUID_VIRTUAL_DISK_ID,
  META_GUID_VIRTUAL_DISK_SIZE,
  METADATA_TABLE_SIZE,
  SIG_METADATA_TABLE,
} from './constants.js';
import { dataView, isAllZero, readAscii, type DecodeContext } from './bytes.js';
import { readGuid, type Guid } from './guid.js';

export interface MetadataEntry {
  itemId: Guid;
  offset: number;
  length: number;
  isUser: boolean;
  isVirtualDisk: boolean;
  isRequired: boolean;
}

export const METADATA_ENTRY_SIZE = 32;
export const METADATA_ENTRIES_OFFSET = 32;
const FLAG_RESERVED = ~(META_FLAG_IS_USER | META_FLAG_IS_VIRTUAL_DISK | META_FLAG_IS_REQUIRED) >>> 0;

/** System items a reader understands, with the exact length each must have (0 = variable). */
export const KNOWN_METADATA_ITEMS: ReadonlyMap<Guid, number> = new Map([
  [META_GUID_FILE_PARAMETERS, 8],
  [META_GUID_VIRTUAL_DISK_SIZE, 8],
  [META_GUID_VIRTUAL_DISK_ID, 16],
  [META_GUID_LOGICAL_SECTOR_SIZE, 4],
  [META_GUID_PHYSICAL_SECTOR_SIZE, 4],
  [META_GUID_PARENT_LOCATOR, 0],
]);

/**
 * Decodes and validates the metadata table alone (entry layout rules of §1.6). `buf` holds at least
 * the 64 KiB table; `regionLength` (default: buf.length) bounds the items.
 */
export function decodeMetadataTable(
  buf: Uint8Array,
  ctx: DecodeContext,
  regionLength = buf.length,
): MetadataEntry[] {
  const fail = (msg: string, offset: number, field: string): never => {
    throw dmError('DM_ERR_VHDX_METADATA', msg, { file: ctx.file, offset: ctx.offset + offset, field });
  };
  if (buf.length < METADATA_TABLE_SIZE)
    fail('metadata region is shorter than its 64 KiB table', 0, 'MetadataTable');
  if (readAscii(buf, 0, 8) !== SIG_METADATA_TABLE)
    fail('metadata table signature is not "metadata"', 0, 'Signature');
  const dv = dataView(buf);
  if (dv.getUint16(8, true) !== 0 || !isAllZero(buf, 12, 32))
    fail('metadata table reserved fields are not zero', 8, 'Reserved');
  const count = dv.getUint16(10, true);
  if (count > MAX_METADATA_ENTRIES) fail(`metadata table has ${count} entries (max 2047)`, 10, 'EntryCount');
  const entries: MetadataEntry[] = [];
  let users = 0;
  for (let i = 0; i < count; i++) {
    const e = METADATA_ENTRIES_OFFSET + i * METADATA_ENTRY_SIZE;
    const field = `MetadataEntry[${i}]`;
    const itemId = readGuid(buf, e);
    const offset = dv.getUint32(e + 16, true);
    const length = dv.getUint32(e + 20, true);
    const flags = dv.getUint32(e + 24, true);
    if (flags & FLAG_RESERVED)
      fail(`metadata item ${itemId} has reserved flag bits set`, e + 24, `${field}.Flags`);
    const isUser = (flags & META_FLAG_IS_USER) !== 0;
    if (length > MAX_METADATA_ITEM_SIZE)
      fail(`metadata item ${itemId} is ${length} bytes (max 1 MiB)`, e + 20, `${field}.Length`);
    if (length === 0 ? offset !== 0 && offset < METADATA_TABLE_SIZE : offset < METADATA_TABLE_SIZE)
      fail(`metadata item ${itemId} offset ${offset} is inside the table`, e + 16, `${field}.Offset`);
    if (offset + length > regionLength)
      fail(`metadata item ${itemId} runs past the region`, e + 16, `${field}.Offset`);
    if (entries.some((o) => o.itemId === itemId && o.isUser === isUser))
      fail(`metadata item ${itemId} appears twice`, e, `${field}.ItemId`);
    if (isUser && ++users > MAX_METADATA_USER_ENTRIES) fail('more than 1024 user metadata items', e, field);
    for (const o of entries) {
      if (length > 0 && o.length > 0 && offset < o.offset + o.length && o.offset < offset + length)
        fail(`metadata items ${itemId} and ${o.itemId} overlap`, e + 16, `${field}.Offset`);
    }
    const isRequired = (flags & META_FLAG_IS_REQUIRED) !== 0;
    if (isRequired && (isUser || !KNOWN_METADATA_ITEMS.has(itemId)))
      fail(`unknown required metadata item ${itemId}`, e, `${field}.ItemId`);
    entries.push({
      itemId,
      offset,
      length,
      isUser,
      isVirtualDisk: (flags & META_FLAG_IS_VIRTUAL_DISK) !== 0,
      isRequired,
    });
  }
  return entries;
}
