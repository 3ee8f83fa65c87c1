/** NTFS boot sector (formats.md §2.2): geometry, MFT location, record sizes. */
import { dmError } from '../../errors.js';
import { ascii, s64, s8, show64, u16, u32 } from '../bytes.js';

export interface BootSector {
  readonly bytesPerSector: number;
  readonly sectorsPerCluster: number;
  readonly clusterSize: number;
  readonly totalSectors: number;
  readonly totalClusters: number;
  readonly mftLcn: number;
  readonly mftMirrLcn: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  readonly serial: bigint;
}

/** Windows 10 1903+ allows clusters up to 2 MiB. */
const MAX_CLUSTER = 2 * 1024 * 1024;

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Clusters-per-record encoding: 1..64 clusters, or 0xE1..0xF7 meaning 2^(−v) bytes. */
function recordSize(v: number, clusterSize: number): number | undefined {
  if (v > 0 && v <= 0x40 && isPow2(v)) return v * clusterSize;
  if (v >= -31 && v <= -9) return 2 ** -v;
  return undefined;
}

/**
 * Parses and validates a boot sector (ntfs-3g `ntfs_boot_sector_is_ntfs` rules). `where` is the disk
 * offset, for messages. Throws DM_ERR_NTFS_BOOT.
 */
export function parseBootSector(b: Uint8Array, where: number, file: string): BootSector {
  const fail = (msg: string, field: string, rel = 0): never => {
    throw dmError('DM_ERR_NTFS_BOOT', `boot sector: ${msg}`, { file, offset: where + rel, field });
  };
  if (b.length < 512) fail('shorter than 512 bytes', 'size');
  if (ascii(b, 3, 8) !== 'NTFS    ') fail('OEM ID is not "NTFS    "', 'OEM ID', 3);
  if (b[510] !== 0x55 || b[511] !== 0xaa) fail('no 0x55AA end marker', 'end marker', 510);
  const bytesPerSector = u16(b, 11);
  if (!isPow2(bytesPerSector) || bytesPerSector < 256 || bytesPerSector > 4096) {
    fail(`bytes per sector ${bytesPerSector} invalid`, 'bytes per sector', 11);
  }
  const spcRaw = b[13]!;
  let sectorsPerCluster = spcRaw;
  if (spcRaw > 0x80) sectorsPerCluster = 2 ** (256 - spcRaw);
  else if (!isPow2(spcRaw)) fail(`sectors per cluster ${spcRaw} invalid`, 'sectors per cluster', 13);
  const clusterSize = bytesPerSector * sectorsPerCluster;
  if (clusterSize > MAX_CLUSTER) fail(`cluster size ${clusterSize} above 2 MiB`, 'sectors per cluster', 13);
  // Fields a FAT BPB uses must be zero on NTFS.
  if (
    u16(b, 14) !== 0 ||
    b[16] !== 0 ||
    u16(b, 17) !== 0 ||
    u16(b, 19) !== 0 ||
    u16(b, 22) !== 0 ||
    u32(b, 32) !== 0
  ) {
    fail('reserved BPB fields are not zero', 'reserved', 14);
  }
  const totalSectors = s64(b, 40);
  if (!(totalSectors > 0) || totalSectors * bytesPerSector > Number.MAX_SAFE_INTEGER) {
    fail(`total sectors ${show64(b, 40, true)} invalid`, 'total sectors', 40);
  }
  const totalClusters = Math.floor(totalSectors / sectorsPerCluster);
  if (totalClusters < 1) fail('volume smaller than one cluster', 'total sectors', 40);
  const mftLcn = s64(b, 48);
  const mftMirrLcn = s64(b, 56);
  if (!(mftLcn > 0 && mftLcn < totalClusters))
    fail(`$MFT LCN ${show64(b, 48, true)} outside the volume`, '$MFT LCN', 48);
  if (!(mftMirrLcn > 0 && mftMirrLcn < totalClusters))
    fail(`$MFTMirr LCN ${show64(b, 56, true)} outside the volume`, '$MFTMirr LCN', 56);
  if (mftLcn === mftMirrLcn) fail('$MFT and $MFTMirr at the same LCN', '$MFTMirr LCN', 56);
  const mftRecordSize = recordSize(s8(b, 64), clusterSize);
  if (mftRecordSize === undefined || mftRecordSize < 512 || mftRecordSize > 65536) {
    fail(`clusters per MFT record ${s8(b, 64)} invalid`, 'clusters per MFT record', 64);
  }
  const indexRecordSize = recordSize(s8(b, 68), clusterSize);
  if (indexRecordSize === undefined || indexRecordSize < 512 || indexRecordSize > 65536) {
    fail(`clusters per index record ${s8(b, 68)} invalid`, 'clusters per index record', 68);
  }
  const serial = (BigInt(u32(b, 76)) << 32n) | BigInt(u32(b, 72));
  return {
    bytesPerSector,
    sectorsPerCluster,
    clusterSize,
    totalSectors,
    totalClusters,
    mftLcn,
    mftMirrLcn,
    mftRecordSize: mftRecordSize!,
    indexRecordSize: indexRecordSize!,
    serial,
  };
}

/** Fields that must agree between the primary and backup boot sector; names of those that differ. */
export function bootDifferences(a: BootSector, b: BootSector): string[] {
  const keys: (keyof BootSector)[] = [
    'bytesPerSector',
    'sectorsPerCluster',
    'totalSectors',
    'mftLcn',
    'mftMirrLcn',
    'mftRecordSize',
    'indexRecordSize',
    'serial',
  ];
  return keys.filter((k) => a[k] !== b[k]);
}
