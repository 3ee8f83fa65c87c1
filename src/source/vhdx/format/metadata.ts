/**
 * The metadata region (formats.md §1.6): a 64 KiB table of item entries, item data from +64 KiB.
 * Decoding validates every table and item rule; unknown IsRequired items are refused.
 */
import { dmError, type ErrorCode } from '../../../errors.js';
import {
  MAX_BLOCK_SIZE,
  MAX_VIRTUAL_SIZE,
  META_FLAG_IS_REQUIRED,
  META_FLAG_IS_VIRTUAL_DISK,
  META_GUID_FILE_PARAMETERS,
  META_GUID_LOGICAL_SECTOR_SIZE,
  META_GUID_PARENT_LOCATOR,
  META_GUID_PHYSICAL_SECTOR_SIZE,
  META_GUID_VIRTUAL_DISK_ID,
  META_GUID_VIRTUAL_DISK_SIZE,
  METADATA_TABLE_SIZE,
  MIN_BLOCK_SIZE,
  SIG_METADATA_TABLE,
} from './constants.js';
import { dataView, readU64, writeAscii, writeU64, type DecodeContext } from './bytes.js';
import { readGuid, writeGuid, type Guid } from './guid.js';
import {
  decodeMetadataTable,
  KNOWN_METADATA_ITEMS,
  METADATA_ENTRIES_OFFSET,
  METADATA_ENTRY_SIZE,
  type MetadataEntry,
} from './metadata-table.js';
import { decodeParentLocator, encodeParentLocator, type ParentLocator } from './parent-locator.js';

export interface VhdxMetadata {
  blockSize: number;
  leaveBlockAllocated: boolean;
  hasParent: boolean;
  virtualSize: number;
  virtualDiskId: Guid;
  logicalSectorSize: 512 | 4096;
  physicalSectorSize: 512 | 4096;
  parentLocator?: ParentLocator;
}

export { decodeMetadataTable, type MetadataEntry };

export function isValidBlockSize(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_BLOCK_SIZE && n <= MAX_BLOCK_SIZE && (n & (n - 1)) === 0;
}

export function encodeMetadataRegion(meta: VhdxMetadata, regionLength: number): Uint8Array {
  const buf = new Uint8Array(regionLength);
  const dv = dataView(buf);
  const items: { guid: Guid; data: Uint8Array; flags: number }[] = [];
  const sys = META_FLAG_IS_REQUIRED | META_FLAG_IS_VIRTUAL_DISK;
  const fp = new Uint8Array(8);
  dataView(fp).setUint32(0, meta.blockSize, true);
  dataView(fp).setUint32(4, (meta.leaveBlockAllocated ? 1 : 0) | (meta.hasParent ? 2 : 0), true);
  items.push({ guid: META_GUID_FILE_PARAMETERS, data: fp, flags: META_FLAG_IS_REQUIRED });
  const vs = new Uint8Array(8);
  writeU64(dataView(vs), 0, meta.virtualSize);
  items.push({ guid: META_GUID_VIRTUAL_DISK_SIZE, data: vs, flags: sys });
  const id = new Uint8Array(16);
  writeGuid(id, 0, meta.virtualDiskId);
  items.push({ guid: META_GUID_VIRTUAL_DISK_ID, data: id, flags: sys });
  const ls = new Uint8Array(4);
  dataView(ls).setUint32(0, meta.logicalSectorSize, true);
  items.push({ guid: META_GUID_LOGICAL_SECTOR_SIZE, data: ls, flags: sys });
  const ps = new Uint8Array(4);
  dataView(ps).setUint32(0, meta.physicalSectorSize, true);
  items.push({ guid: META_GUID_PHYSICAL_SECTOR_SIZE, data: ps, flags: sys });
  if (meta.parentLocator) {
    items.push({ guid: META_GUID_PARENT_LOCATOR, data: encodeParentLocator(meta.parentLocator), flags: sys });
  }
  writeAscii(buf, 0, SIG_METADATA_TABLE);
  dv.setUint16(10, items.length, true);
  let at = METADATA_TABLE_SIZE;
  items.forEach((item, i) => {
    const e = METADATA_ENTRIES_OFFSET + i * METADATA_ENTRY_SIZE;
    if (at + item.data.length > regionLength) throw new RangeError('metadata region too small for its items');
    writeGuid(buf, e, item.guid);
    dv.setUint32(e + 16, at, true);
    dv.setUint32(e + 20, item.data.length, true);
    dv.setUint32(e + 24, item.flags, true);
    buf.set(item.data, at);
    at += item.data.length;
  });
  return buf;
}

export function decodeMetadataRegion(buf: Uint8Array, ctx: DecodeContext): VhdxMetadata {
  const entries = decodeMetadataTable(buf, ctx);
  return decodeMetadataItems(entries, (offset, length) => buf.subarray(offset, offset + length), ctx);
}

/**
 * Decodes the system items of a validated table; `readItem` returns the bytes of one item (offset
 * relative to the region), so a reader needs only the table and the few known items in memory.
 */
export function decodeMetadataItems(
  entries: readonly MetadataEntry[],
  readItem: (offset: number, length: number) => Uint8Array,
  ctx: DecodeContext,
): VhdxMetadata {
  const item = (guid: Guid): Uint8Array | undefined => {
    const e = entries.find((x) => x.itemId === guid && !x.isUser);
    if (!e) return undefined;
    const want = KNOWN_METADATA_ITEMS.get(guid) ?? 0;
    if (want !== 0 && e.length !== want)
      throw dmError('DM_ERR_VHDX_METADATA', `metadata item ${guid} is ${e.length} bytes, expected ${want}`, {
        file: ctx.file,
        offset: ctx.offset + e.offset,
        field: guid,
      });
    return readItem(e.offset, e.length);
  };
  const need = (guid: Guid, name: string): DataView => {
    const b = item(guid);
    if (!b)
      throw dmError('DM_ERR_VHDX_METADATA', `required metadata item ${name} is missing`, {
        file: ctx.file,
        offset: ctx.offset,
        field: name,
      });
    return dataView(b);
  };
  const bad = (code: ErrorCode, msg: string, guid: Guid, field: string): never => {
    const e = entries.find((x) => x.itemId === guid);
    throw dmError(code, msg, { file: ctx.file, offset: ctx.offset + (e?.offset ?? 0), field });
  };

  const fp = need(META_GUID_FILE_PARAMETERS, 'FileParameters');
  const blockSize = fp.getUint32(0, true);
  const fpFlags = fp.getUint32(4, true);
  if (!isValidBlockSize(blockSize))
    bad(
      'DM_ERR_VHDX_BLOCK_SIZE',
      `block size ${blockSize} is not a power of two from 1 to 256 MiB`,
      META_GUID_FILE_PARAMETERS,
      'BlockSize',
    );
  if (fpFlags & ~3)
    bad(
      'DM_ERR_VHDX_METADATA',
      'file parameters reserved bits are set',
      META_GUID_FILE_PARAMETERS,
      'FileParameters.Flags',
    );

  const logical = need(META_GUID_LOGICAL_SECTOR_SIZE, 'LogicalSectorSize').getUint32(0, true);
  if (logical !== 512 && logical !== 4096)
    bad(
      'DM_ERR_VHDX_SECTOR_SIZE',
      `logical sector size ${logical} is neither 512 nor 4096`,
      META_GUID_LOGICAL_SECTOR_SIZE,
      'LogicalSectorSize',
    );
  const physical = need(META_GUID_PHYSICAL_SECTOR_SIZE, 'PhysicalSectorSize').getUint32(0, true);
  if (physical !== 512 && physical !== 4096)
    bad(
      'DM_ERR_VHDX_SECTOR_SIZE',
      `physical sector size ${physical} is neither 512 nor 4096`,
      META_GUID_PHYSICAL_SECTOR_SIZE,
      'PhysicalSectorSize',
    );

  const virtualSize = readU64(need(META_GUID_VIRTUAL_DISK_SIZE, 'VirtualDiskSize'), 0);
  if (
    virtualSize === undefined ||
    virtualSize === 0 ||
    virtualSize > MAX_VIRTUAL_SIZE ||
    virtualSize % logical !== 0
  )
    bad(
      'DM_ERR_VHDX_VIRTUAL_SIZE',
      `virtual size ${virtualSize ?? '> 2^53'} is zero, above 64 TiB or not a multiple of ${logical}`,
      META_GUID_VIRTUAL_DISK_SIZE,
      'VirtualDiskSize',
    );

  const idItem = item(META_GUID_VIRTUAL_DISK_ID);
  if (!idItem)
    bad(
      'DM_ERR_VHDX_METADATA',
      'required metadata item VirtualDiskId is missing',
      META_GUID_VIRTUAL_DISK_ID,
      'VirtualDiskId',
    );

  const hasParent = (fpFlags & 2) !== 0;
  const locItem = item(META_GUID_PARENT_LOCATOR);
  if (hasParent && !locItem)
    bad(
      'DM_ERR_VHDX_PARENT_LOCATOR',
      'differencing disk has no parent locator',
      META_GUID_FILE_PARAMETERS,
      'ParentLocator',
    );
  if (!hasParent && locItem)
    bad(
      'DM_ERR_VHDX_METADATA',
      'parent locator present but HasParent is not set',
      META_GUID_PARENT_LOCATOR,
      'ParentLocator',
    );
  const locEntry = entries.find((x) => x.itemId === META_GUID_PARENT_LOCATOR && !x.isUser);

  const meta: VhdxMetadata = {
    blockSize,
    leaveBlockAllocated: (fpFlags & 1) !== 0,
    hasParent,
    virtualSize: virtualSize!,
    virtualDiskId: readGuid(idItem!, 0),
    logicalSectorSize: logical as 512 | 4096,
    physicalSectorSize: physical as 512 | 4096,
  };
  if (locItem && locEntry)
    meta.parentLocator = decodeParentLocator(locItem, {
      file: ctx.file,
      offset: ctx.offset + locEntry.offset,
    });
  return meta;
}
