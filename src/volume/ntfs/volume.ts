/** Opening an NTFS volume: primary and backup boot sector, $MFT, $Volume information. */
import type { DiskSource } from '../../source/disk-source.js';
import { dmError, isDmError } from '../../errors.js';
import type { DmError } from '../../errors.js';
import { readDisk, u16 } from '../bytes.js';
import { bootDifferences, parseBootSector } from './boot-sector.js';
import type { BootSector } from './boot-sector.js';
import { Mft } from './mft.js';
import { AttrType } from './record.js';

export interface VolumeInfo {
  readonly major: number;
  readonly minor: number;
  readonly flags: number;
  readonly dirty: boolean;
}

export interface NtfsVolume {
  readonly boot: BootSector;
  readonly mft: Mft;
  readonly info: VolumeInfo;
  readonly warnings: string[];
}

/** VOLUME_INFORMATION flag 0x0001: the volume was not cleanly unmounted. */
export const VOLUME_IS_DIRTY = 0x0001;

async function tryBoot(source: DiskSource, at: number, size: number): Promise<BootSector | DmError> {
  try {
    if (at < 0 || at + size > source.virtualSize) {
      return dmError('DM_ERR_NTFS_BOOT', `boot sector at ${at} lies outside the disk`, {
        file: source.path,
        offset: at,
      });
    }
    return parseBootSector(
      await readDisk(source, at, size, 'DM_ERR_NTFS_BOOT', 'boot sector'),
      at,
      source.path,
    );
  } catch (err) {
    if (isDmError(err)) return err;
    throw err;
  }
}

/**
 * Reads the boot sector at `offset` and cross-checks the backup in the partition's last sector. A
 * mismatch is a warning; an invalid primary with a valid backup uses the backup (with a warning).
 */
export async function readBootSectors(
  source: DiskSource,
  offset: number,
  length: number,
): Promise<{ boot: BootSector; warnings: string[] }> {
  const warnings: string[] = [];
  const primary = await tryBoot(source, offset, 512);
  const fits = (b: BootSector): boolean => b.totalSectors * b.bytesPerSector <= length;
  // The backup sits right after the volume's last sector (= the partition's last sector as mkntfs and
  // Windows lay it out). Without a valid primary, try each sector size at the partition's end.
  const candidates = new Set<number>();
  if (!isDmError(primary)) candidates.add(offset + primary.totalSectors * primary.bytesPerSector);
  for (const ss of [
    primary instanceof Error ? 512 : primary.bytesPerSector,
    512,
    4096,
    source.logicalSectorSize,
  ]) {
    if (length >= ss) candidates.add(offset + length - ss);
  }
  let backup: BootSector | DmError | undefined;
  for (const at of candidates) {
    if (at + 512 > offset + length) continue;
    backup = await tryBoot(source, at, 512);
    if (!isDmError(backup)) break;
  }
  if (!isDmError(primary)) {
    if (!fits(primary)) {
      throw dmError(
        'DM_ERR_NTFS_BOOT',
        `volume (${primary.totalSectors} sectors) is larger than its partition (${length} bytes)`,
        {
          file: source.path,
          offset: offset + 40,
          field: 'total sectors',
        },
      );
    }
    if (!backup || isDmError(backup))
      warnings.push(`backup boot sector invalid or missing${backup ? `: ${backup.message}` : ''}`);
    else {
      const diff = bootDifferences(primary, backup);
      if (diff.length > 0)
        warnings.push(`backup boot sector differs from the primary in: ${diff.join(', ')}`);
    }
    return { boot: primary, warnings };
  }
  if (backup && !isDmError(backup) && fits(backup)) {
    warnings.push(`primary boot sector invalid (${primary.message}); using the backup boot sector`);
    return { boot: backup, warnings };
  }
  throw primary;
}

/** Opens the volume at disk `offset` (partition of `length` bytes). Throws DM_ERR_NTFS_* on any fault. */
export async function openNtfsVolume(
  source: DiskSource,
  offset: number,
  length: number,
): Promise<NtfsVolume> {
  const { boot, warnings } = await readBootSectors(source, offset, length);
  const mft = await Mft.open({ source, offset, clusterSize: boot.clusterSize }, boot);
  const info = await readVolumeInfo(mft);
  return { boot, mft, info, warnings };
}

async function readVolumeInfo(mft: Mft): Promise<VolumeInfo> {
  const { attributes } = await mft.attributes(3);
  const vi = attributes.find((a) => a.type === AttrType.volumeInformation);
  if (!vi || vi.nonResident || !vi.value || vi.value.length < 12) {
    throw dmError('DM_ERR_NTFS_ATTRIBUTE', '$Volume has no resident $VOLUME_INFORMATION', {
      file: mft.geo.source.path,
      offset: mft.diskOffsetOf(3),
      field: '$VOLUME_INFORMATION',
    });
  }
  const flags = u16(vi.value, 10);
  return { major: vi.value[8]!, minor: vi.value[9]!, flags, dirty: (flags & VOLUME_IS_DIRTY) !== 0 };
}
