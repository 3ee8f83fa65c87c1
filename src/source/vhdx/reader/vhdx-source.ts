/**
 * The exact VHDX reader: `openVhdx(path)` gives a DiskSource over a VHDX file or differencing chain,
 * plus `info` (headers, regions, metadata, BAT state counts, chain, warnings). Read-only.
 */
import { dmError } from '../../../errors.js';
import type { DiskSource, Extent } from '../../disk-source.js';
import type { ReadMapper } from '../../read-map.js';
import type { BatGeometry } from '../format/bat.js';
import type { VhdxHeader } from '../format/header.js';
import type { VhdxMetadata } from '../format/metadata.js';
import type { RegionEntry } from '../format/region-table.js';
import type { HeaderSlot } from './headers.js';
import type { ImageFile } from './image-file.js';
import type { LogReplayInfo } from './log-replay.js';
import { openLayer } from './parent-chain.js';
import { checkedRange, coalesce } from '../../range.js';
import type { IoMode, VhdxLayer } from './vhdx-layer.js';

export interface VhdxOpenOptions {
  /** Replay an active log in memory (default true); false refuses with DM_ERR_VHDX_LOG_ACTIVE. */
  readonly replayLog?: boolean;
  /** Payload reads through the thread pool ('async', default) or blocking preads ('sync'). */
  readonly io?: IoMode;
  /** BATs up to this many bytes stay in memory; larger ones are paged from the file (default 32 MiB). */
  readonly maxResidentBat?: number;
}

/** Counts of BAT entries by state name. */
export interface BatStateCounts {
  readonly notPresent: number;
  readonly undefined: number;
  readonly zero: number;
  readonly unmapped: number;
  readonly fullyPresent: number;
  readonly partiallyPresent: number;
}

export interface VhdxFileInfo {
  readonly path: string;
  readonly fileSize: number;
  readonly creator: string;
  readonly headers: readonly HeaderSlot[];
  readonly currentHeader: 1 | 2;
  readonly header: VhdxHeader;
  readonly regionTable: 1 | 2;
  readonly regions: readonly RegionEntry[];
  readonly metadata: VhdxMetadata;
  readonly geometry: BatGeometry;
  readonly payloadStates: BatStateCounts;
  /** Sector-bitmap entries: present (6) and not present (0). */
  readonly bitmapStates: { readonly present: number; readonly notPresent: number };
  readonly log: LogReplayInfo | undefined;
  /** False when the BAT is too large to keep in memory and is paged from the file. */
  readonly batResident: boolean;
  readonly warnings: readonly string[];
}

export interface VhdxInfo extends VhdxFileInfo {
  /** Paths of the parents, nearest first (empty for a non-differencing disk). */
  readonly parentChain: readonly string[];
  /** Per-file details of the parents, nearest first. */
  readonly parents: readonly VhdxFileInfo[];
}

function fileInfo(layer: VhdxLayer): VhdxFileInfo {
  const p = layer.parsed;
  const c = p.counts.payload;
  return {
    path: layer.file.path,
    fileSize: layer.file.size,
    creator: p.creator,
    headers: p.headers.slots,
    currentHeader: p.headers.current,
    header: p.headers.header,
    regionTable: p.regionTable,
    regions: p.regions,
    metadata: p.metadata,
    geometry: p.geometry,
    payloadStates: {
      notPresent: c[0]!,
      undefined: c[1]!,
      zero: c[2]!,
      unmapped: c[3]! + c[5]!,
      fullyPresent: c[6]!,
      partiallyPresent: c[7]!,
    },
    bitmapStates: { present: p.counts.bitmap[6]!, notPresent: p.counts.bitmap[0]! },
    log: p.log,
    batResident: p.bat.resident,
    warnings: p.warnings,
  };
}

export class VhdxSource implements DiskSource {
  readonly format = 'vhdx' as const;
  readonly path: string;
  readonly virtualSize: number;
  readonly logicalSectorSize: 512 | 4096;
  readonly physicalSectorSize: 512 | 4096;
  readonly info: VhdxInfo;
  private closed = false;

  constructor(
    private readonly top: VhdxLayer,
    private readonly files: readonly ImageFile[],
  ) {
    const m = top.parsed.metadata;
    this.path = top.file.path;
    this.virtualSize = m.virtualSize;
    this.logicalSectorSize = m.logicalSectorSize;
    this.physicalSectorSize = m.physicalSectorSize;
    const parents = top.chain().slice(1);
    const parentWarnings = parents.flatMap((l) => l.parsed.warnings.map((w) => `${l.file.path}: ${w}`));
    this.info = {
      ...fileInfo(top),
      warnings: [...top.parsed.warnings, ...parentWarnings],
      parentChain: parents.map((l) => l.file.path),
      parents: parents.map(fileInfo),
    };
  }

  read(buf: Uint8Array, offset: number, length?: number, bufOffset = 0): Promise<void> {
    const len = length ?? buf.length - bufOffset;
    try {
      this.assertOpen();
      checkedRange(this.path, this.virtualSize, buf, offset, len, bufOffset);
      // Fast path: one pread when the range is one contiguous run of FULLY_PRESENT blocks.
      const run = this.top.contiguousRun(offset, len);
      if (run >= 0) return this.top.readRun(buf, bufOffset, len, run);
      return this.top.read(buf, bufOffset, offset, len);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  extents(offset = 0, length?: number): Iterable<Extent> {
    this.assertOpen();
    const len = length ?? this.virtualSize - offset;
    checkedRange(this.path, this.virtualSize, undefined, offset, len, 0);
    return coalesce(this.top.extents(offset, len));
  }

  /** Undefined when a replayed log overlays a file: its bytes exist only in this thread's memory. */
  readMapper(): ReadMapper | undefined {
    if (this.files.some((f) => f.overlay !== undefined || f.logicalSize !== f.size)) return undefined;
    const paths = Object.fromEntries(this.files.map((f) => [f.fd, f.path])) as Record<number, string>;
    return {
      map: (offset, length, bufOffset, into) => {
        this.assertOpen();
        checkedRange(this.path, this.virtualSize, undefined, offset, length, 0);
        this.top.map(into, bufOffset, offset, length);
      },
      paths,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.files) f.close();
  }

  private assertOpen(): void {
    if (this.closed) throw dmError('DM_ERR_ARG_INVALID', 'the image is closed', { file: this.path });
  }
}

export async function openVhdx(path: string, options: VhdxOpenOptions = {}): Promise<VhdxSource> {
  const opened: ImageFile[] = [];
  try {
    const top = openLayer(
      path,
      {
        replayLog: options.replayLog ?? true,
        io: options.io ?? 'async',
        ...(options.maxResidentBat !== undefined ? { maxResidentBat: options.maxResidentBat } : {}),
      },
      opened,
    );
    return new VhdxSource(top, opened);
  } catch (err) {
    for (const f of opened) f.close();
    throw err;
  }
}
