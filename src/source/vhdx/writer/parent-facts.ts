/**
 * What a differencing child needs from its parent: the current header's DataWriteGuid (the child's
 * parent_linkage), the virtual disk id (shared along a chain), the virtual size and sector size.
 * Read with the format codec's decoders; the parent is never opened for writing.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dmError, fromSystemError } from '../../../errors.js';
import {
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  HEADER_SIZE,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_GUID_METADATA,
  REGION_TABLE_SIZE,
} from '../format/constants.js';
import { hasVhdxSignature } from '../format/file-identifier.js';
import type { Guid } from '../format/guid.js';
import { decodeHeader, type VhdxHeader } from '../format/header.js';
import { decodeMetadataRegion } from '../format/metadata.js';
import { decodeRegionTable, type RegionEntry } from '../format/region-table.js';
import type { ParentFacts } from './options.js';
import { notRegular } from '../../../core/regular-file.js';

export interface ParentIdentity extends ParentFacts {
  readonly dataWriteGuid: Guid;
  readonly virtualDiskId: Guid;
}

async function readAt(fh: FileHandle, file: string, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (err) {
    throw fromSystemError(err, 'read', file);
  }
  if (done < length)
    throw dmError('DM_ERR_SOURCE_TRUNCATED', `parent ends before offset ${offset + length}`, {
      file,
      offset,
    });
  return buf;
}

/** The first copy that decodes (region table 1, else its copy 2). */
function firstValid<T>(decode: () => T, fallback: () => T): T {
  try {
    return decode();
  } catch (err) {
    try {
      return fallback();
    } catch {
      throw err;
    }
  }
}

function currentHeader(h1: Uint8Array, h2: Uint8Array, file: string): VhdxHeader {
  let a: VhdxHeader | undefined;
  let b: VhdxHeader | undefined;
  let firstError: unknown;
  try {
    a = decodeHeader(h1, { file, offset: HEADER1_OFFSET });
  } catch (err) {
    firstError = err;
  }
  try {
    b = decodeHeader(h2, { file, offset: HEADER2_OFFSET });
  } catch (err) {
    firstError ??= err;
  }
  if (a && b) return b.sequenceNumber > a.sequenceNumber ? b : a;
  const h = a ?? b;
  if (!h) throw firstError;
  return h;
}

export async function readParentFacts(parentPath: string): Promise<ParentIdentity> {
  let fh: FileHandle;
  try {
    // Non-blocking, so a FIFO cannot hang the open; then only a regular file is read.
    fh = await open(parentPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw fromSystemError(err, 'open', parentPath);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(parentPath, st, 'parent');
    if (!hasVhdxSignature(await readAt(fh, parentPath, 0, 8)))
      throw dmError('DM_ERR_VHDX_SIGNATURE', 'parent is not a VHDX file', { file: parentPath, offset: 0 });
    const header = currentHeader(
      await readAt(fh, parentPath, HEADER1_OFFSET, HEADER_SIZE),
      await readAt(fh, parentPath, HEADER2_OFFSET, HEADER_SIZE),
      parentPath,
    );
    const r1 = await readAt(fh, parentPath, REGION1_OFFSET, REGION_TABLE_SIZE);
    const r2 = await readAt(fh, parentPath, REGION2_OFFSET, REGION_TABLE_SIZE);
    const regions: RegionEntry[] = firstValid(
      () => decodeRegionTable(r1, { file: parentPath, offset: REGION1_OFFSET }),
      () => decodeRegionTable(r2, { file: parentPath, offset: REGION2_OFFSET }),
    );
    const region = regions.find((r) => r.guid === REGION_GUID_METADATA);
    if (!region)
      throw dmError('DM_ERR_VHDX_REGION_TABLE', 'parent has no metadata region', {
        file: parentPath,
        offset: REGION1_OFFSET,
      });
    const meta = decodeMetadataRegion(await readAt(fh, parentPath, region.fileOffset, region.length), {
      file: parentPath,
      offset: region.fileOffset,
    });
    return {
      dataWriteGuid: header.dataWriteGuid,
      virtualDiskId: meta.virtualDiskId,
      virtualSize: meta.virtualSize,
      logicalSectorSize: meta.logicalSectorSize,
    };
  } finally {
    await fh.close();
  }
}
