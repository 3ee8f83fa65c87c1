/**
 * `datamover inspect`: what an image is and what it holds — format, geometry, block states,
 * allocation, parent chain, partitions and NTFS volumes — as plain JSON-safe data.
 */
import { openImage, type ImageFormatChoice, type OpenedImage } from '../source/open-image.js';
import type { ExtentKind } from '../source/disk-source.js';
import { analyzeDisk, describeVolumes, type VolumeDescription } from '../volume/api.js';
import type { BatStateCounts } from '../source/vhdx/reader/vhdx-source.js';

export interface InspectOptions {
  /** Guest paths to report as excluded, as `backup --exclude` would (pagefile/hiberfil/swapfile always listed). */
  readonly exclude?: readonly string[];
  /** Skip partition/NTFS analysis (default false). */
  readonly noVolumes?: boolean;
  /** How to read the image (default 'auto': by content; a damaged or mislabelled VHDX is refused). */
  readonly format?: ImageFormatChoice;
}

export interface InspectResult {
  readonly image: string;
  readonly format: 'vhdx' | 'raw';
  /** VHDX subformat, from the file parameters; undefined for raw. */
  readonly subformat: 'dynamic' | 'fixed' | 'differencing' | undefined;
  readonly virtualSize: number;
  readonly blockSize: number | undefined;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  readonly fileSize: number | undefined;
  readonly blockStates: BatStateCounts | undefined;
  readonly sectorBitmapBlocks: { present: number; notPresent: number } | undefined;
  /** Bytes of the virtual disk per allocation kind (the whole chain resolved). */
  readonly allocation: Record<ExtentKind, number>;
  /** Parent paths, nearest first (differencing chains). */
  readonly parentChain: readonly string[];
  readonly vhdx:
    | {
        readonly creator: string;
        readonly currentHeader: 1 | 2;
        readonly sequenceNumber: string;
        readonly dataWriteGuid: string;
        readonly virtualDiskId: string;
        readonly regionTable: 1 | 2;
        readonly logReplayed: boolean;
      }
    | undefined;
  readonly volumes: VolumeDescription | undefined;
  readonly warnings: readonly string[];
}

export async function inspect(image: string, options: InspectOptions = {}): Promise<InspectResult> {
  const source = await openImage(image, options.format ? { format: options.format } : {});
  try {
    return await describe(source, options);
  } finally {
    await source.close();
  }
}

async function describe(source: OpenedImage, options: InspectOptions): Promise<InspectResult> {
  const allocation: Record<ExtentKind, number> = { present: 0, zero: 0, absent: 0 };
  for (const e of source.extents()) allocation[e.kind] += e.length;
  const info = source.info;
  const meta = info?.metadata;
  const volumes = options.noVolumes
    ? undefined
    : describeVolumes(await analyzeDisk(source, options.exclude ? { exclude: options.exclude } : {}));
  return {
    image: source.path,
    format: source.format,
    subformat: meta
      ? meta.hasParent
        ? 'differencing'
        : meta.leaveBlockAllocated
          ? 'fixed'
          : 'dynamic'
      : undefined,
    virtualSize: source.virtualSize,
    blockSize: meta?.blockSize,
    logicalSectorSize: source.logicalSectorSize,
    physicalSectorSize: source.physicalSectorSize,
    fileSize: info?.fileSize,
    blockStates: info?.payloadStates,
    sectorBitmapBlocks: info?.bitmapStates,
    allocation,
    parentChain: info?.parentChain ?? [],
    vhdx: info && {
      creator: info.creator,
      currentHeader: info.currentHeader,
      sequenceNumber: info.header.sequenceNumber.toString(),
      dataWriteGuid: info.header.dataWriteGuid,
      virtualDiskId: info.metadata.virtualDiskId,
      regionTable: info.regionTable,
      logReplayed: info.log !== undefined,
    },
    volumes,
    warnings: [...(info?.warnings ?? []), ...(volumes?.warnings ?? [])],
  };
}
