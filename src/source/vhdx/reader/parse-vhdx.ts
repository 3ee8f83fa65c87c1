/**
 * Parses and validates one VHDX file (no parent resolution): identifier, headers, log, region
 * tables, metadata, BAT. Every size field is checked against limits and the file length before
 * anything proportional to it is allocated.
 */
import { dmError, isDmError } from '../../../errors.js';
import { batGeometry, BAT_ENTRY_SIZE, type BatGeometry } from '../format/bat.js';
import {
  FILE_ID_SIZE,
  HEADER_SECTION_SIZE,
  MAX_BAT_REGION_SIZE,
  MAX_METADATA_REGION_SIZE,
  METADATA_TABLE_SIZE,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_GUID_BAT,
  REGION_GUID_METADATA,
  REGION_TABLE_SIZE,
} from '../format/constants.js';
import { decodeFileIdentifier } from '../format/file-identifier.js';
import { decodeMetadataItems, decodeMetadataTable, type VhdxMetadata } from '../format/metadata.js';
import { decodeRegionTable, sameRegionTables, type RegionEntry } from '../format/region-table.js';
import { BatTable } from './bat-table.js';
import { checkBat, headerSectionRange, type BatCounts, type FileRange } from './bat-check.js';
import { chooseHeader, type HeaderChoice } from './headers.js';
import type { ImageFile } from './image-file.js';
import { replayLog, type LogReplayInfo } from './log-replay.js';

export interface ParsedVhdx {
  readonly creator: string;
  readonly headers: HeaderChoice;
  readonly log: LogReplayInfo | undefined;
  readonly regions: readonly RegionEntry[];
  readonly regionTable: 1 | 2;
  readonly metadata: VhdxMetadata;
  readonly geometry: BatGeometry;
  readonly batOffset: number;
  /** The BAT entries the geometry needs, with any log replay applied (resident or paged). */
  readonly bat: BatTable;
  readonly counts: BatCounts;
  readonly warnings: string[];
}

export function parseVhdx(file: ImageFile, replay: boolean, maxResidentBat?: number): ParsedVhdx {
  const warnings: string[] = [];
  const idBytes = new Uint8Array(Math.min(FILE_ID_SIZE, file.size));
  file.readSync(idBytes, 0, idBytes.length, 0, 'FileIdentifier');
  const { creator } = decodeFileIdentifier(idBytes, file.path);
  file.requireInside(0, HEADER_SECTION_SIZE, 'HeaderSection');

  const headers = chooseHeader(file);
  const invalid = headers.slots.find((s) => !s.header);
  if (invalid)
    warnings.push(`header ${invalid.slot} is invalid (${invalid.error}); using header ${headers.current}`);
  const log = replayLog(file, headers.header, replay, warnings);

  const { regions, regionTable } = readRegionTables(file, warnings);
  const find = (guid: string, name: string): RegionEntry => {
    const r = regions.find((e) => e.guid === guid);
    if (!r)
      throw dmError('DM_ERR_VHDX_REGION_TABLE', `the ${name} region is missing`, {
        file: file.path,
        offset: REGION1_OFFSET,
        field: name,
      });
    return r;
  };
  const batRegion = find(REGION_GUID_BAT, 'BAT');
  const metaRegion = find(REGION_GUID_METADATA, 'metadata');
  for (const r of regions) {
    if (r.required && r !== batRegion && r !== metaRegion)
      throw dmError('DM_ERR_VHDX_REGION_TABLE', `unknown required region ${r.guid}`, {
        file: file.path,
        offset: REGION1_OFFSET,
        field: 'RegionTable',
      });
  }
  const h = headers.header;
  const logRange: FileRange | undefined =
    h.logLength > 0 ? { start: h.logOffset, end: h.logOffset + h.logLength, name: 'log' } : undefined;
  for (const r of [batRegion, metaRegion]) {
    if (logRange && r.fileOffset < logRange.end && logRange.start < r.fileOffset + r.length)
      throw dmError('DM_ERR_VHDX_REGION_OVERLAP', `region ${r.guid} overlaps the log`, {
        file: file.path,
        offset: r.fileOffset,
        field: 'RegionTable',
      });
    file.requireInside(r.fileOffset, r.length, r === batRegion ? 'BAT region' : 'metadata region');
  }

  if (metaRegion.length > MAX_METADATA_REGION_SIZE)
    throw dmError('DM_ERR_VHDX_METADATA', `metadata region of ${metaRegion.length} bytes exceeds 128 MiB`, {
      file: file.path,
      offset: metaRegion.fileOffset,
      field: 'MetadataRegion',
    });
  // Only the 64 KiB table and the known items are read, never the whole (possibly forged) region.
  const metaCtx = { file: file.path, offset: metaRegion.fileOffset };
  const table = file.readStruct(metaRegion.fileOffset, METADATA_TABLE_SIZE, 'metadata table');
  const entries = decodeMetadataTable(table, metaCtx, metaRegion.length);
  const metadata = decodeMetadataItems(
    entries,
    (offset, length) => file.readStruct(metaRegion.fileOffset + offset, length, 'metadata item'),
    metaCtx,
  );

  const geometry = batGeometry(
    metadata.virtualSize,
    metadata.blockSize,
    metadata.logicalSectorSize,
    metadata.hasParent,
  );
  const batBytes = geometry.entryCount * BAT_ENTRY_SIZE;
  if (batRegion.length > MAX_BAT_REGION_SIZE || batBytes > batRegion.length)
    throw dmError(
      'DM_ERR_VHDX_BAT',
      `BAT region of ${batRegion.length} bytes cannot hold ${geometry.entryCount} entries (or exceeds 513 MiB)`,
      { file: file.path, offset: batRegion.fileOffset, field: 'BatRegion' },
    );
  const bat = new BatTable(file, batRegion.fileOffset, geometry.entryCount, maxResidentBat);

  const reserved: FileRange[] = [
    headerSectionRange(),
    { start: batRegion.fileOffset, end: batRegion.fileOffset + batRegion.length, name: 'BAT region' },
    { start: metaRegion.fileOffset, end: metaRegion.fileOffset + metaRegion.length, name: 'metadata region' },
  ];
  if (logRange) reserved.push(logRange);
  const counts = checkBat(
    {
      file: file.path,
      bat,
      batOffset: batRegion.fileOffset,
      geometry,
      virtualSize: metadata.virtualSize,
      hasParent: metadata.hasParent,
      fileSize: file.logicalSize,
      reserved,
    },
    warnings,
  );
  if (counts.payload[1])
    warnings.push(`${counts.payload[1]} payload blocks are UNDEFINED; they read as zeros`);
  if (metadata.hasParent && metadata.leaveBlockAllocated)
    warnings.push('LeaveBlockAllocated is ignored on a differencing disk');
  return {
    creator,
    headers,
    log,
    regions,
    regionTable,
    metadata,
    geometry,
    batOffset: batRegion.fileOffset,
    bat,
    counts,
    warnings,
  };
}

/** Table 1 if valid, else table 2; a warning when both are valid but differ (formats.md §1.5). */
function readRegionTables(
  file: ImageFile,
  warnings: string[],
): { regions: RegionEntry[]; regionTable: 1 | 2 } {
  const read = (offset: number) => {
    const raw = file.readStruct(offset, REGION_TABLE_SIZE, 'RegionTable');
    try {
      return { entries: decodeRegionTable(raw, { file: file.path, offset }), error: undefined };
    } catch (err) {
      if (!isDmError(err)) throw err;
      return { entries: undefined, error: err };
    }
  };
  const t1 = read(REGION1_OFFSET);
  const t2 = read(REGION2_OFFSET);
  if (t1.entries) {
    if (!t2.entries) warnings.push(`region table 2 is invalid (${t2.error?.message}); using table 1`);
    else if (!sameRegionTables(t1.entries, t2.entries))
      warnings.push('region tables 1 and 2 differ; using table 1');
    return { regions: t1.entries, regionTable: 1 };
  }
  if (t2.entries) {
    warnings.push(`region table 1 is invalid (${t1.error?.message}); using table 2`);
    return { regions: t2.entries, regionTable: 2 };
  }
  throw t1.error!;
}
