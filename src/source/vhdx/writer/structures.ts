/**
 * The fixed structures of a VHDX we write, encoded with the shared format codec: what goes to disk
 * at creation (file identifier, both region tables, metadata region) and at close (both headers).
 */
import {
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_GUID_BAT,
  REGION_GUID_METADATA,
} from '../format/constants.js';
import { encodeFileIdentifier } from '../format/file-identifier.js';
import { randomGuid, ZERO_GUID, type Guid } from '../format/guid.js';
import { encodeHeader } from '../format/header.js';
import { encodeMetadataRegion } from '../format/metadata.js';
import { encodeRegionTable } from '../format/region-table.js';
import type { VhdxLayout } from './layout.js';
import type { ResolvedWriteOptions } from './options.js';
import type { ParentIdentity } from './parent-facts.js';
import { buildParentLocator } from './parent-link.js';

export interface Piece {
  readonly bytes: Uint8Array;
  readonly offset: number;
}

export function encodeStaticStructures(
  opts: ResolvedWriteOptions,
  layout: VhdxLayout,
  creator: string | undefined,
  childPath: string,
  parent: ParentIdentity | undefined,
): Piece[] {
  // Required = 1 as Windows writes it (qemu writes 0; readers must accept both).
  const regions = encodeRegionTable([
    { guid: REGION_GUID_BAT, fileOffset: layout.batOffset, length: layout.batLength, required: true },
    {
      guid: REGION_GUID_METADATA,
      fileOffset: layout.metadataOffset,
      length: layout.metadataLength,
      required: true,
    },
  ]);
  const meta = encodeMetadataRegion(
    {
      blockSize: opts.blockSize,
      leaveBlockAllocated: opts.subformat === 'fixed',
      hasParent: parent !== undefined,
      virtualSize: opts.virtualSize,
      // A child keeps its parent's disk id (libvhdi: chains share it; linkage is by DataWriteGuid).
      virtualDiskId: parent?.virtualDiskId ?? randomGuid(),
      logicalSectorSize: opts.logicalSectorSize,
      physicalSectorSize: opts.physicalSectorSize,
      ...(parent && opts.parentPath !== undefined
        ? { parentLocator: buildParentLocator(childPath, opts.parentPath, parent.dataWriteGuid) }
        : {}),
    },
    layout.metadataLength,
  );
  return [
    { bytes: encodeFileIdentifier(creator ?? opts.creator), offset: 0 },
    { bytes: regions, offset: REGION1_OFFSET },
    { bytes: regions, offset: REGION2_OFFSET },
    { bytes: meta, offset: layout.metadataOffset },
  ];
}

/**
 * Both headers, valid, sequence numbers n and n+1 (header 2 current, as qemu leaves a fresh image),
 * a fresh FileWriteGuid, the writer's DataWriteGuid, and an empty log (LogGuid zero).
 */
export function encodeHeaderPair(layout: VhdxLayout, dataWriteGuid: Guid): Piece[] {
  const sequence = BigInt(1 + Math.floor(Math.random() * 0xffff_fffe));
  const header = {
    fileWriteGuid: randomGuid(),
    dataWriteGuid,
    logGuid: ZERO_GUID,
    logVersion: 0,
    version: 1,
    logLength: layout.logLength,
    logOffset: layout.logOffset,
  };
  return [
    { bytes: encodeHeader({ ...header, sequenceNumber: sequence }), offset: HEADER1_OFFSET },
    { bytes: encodeHeader({ ...header, sequenceNumber: sequence + 1n }), offset: HEADER2_OFFSET },
  ];
}
