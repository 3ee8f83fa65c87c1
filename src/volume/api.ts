/** Public surface of the volume layer: partition tables, the NTFS reader and the BitLooker analysis. */
export { analyzeDisk, DEFAULT_SWAP_EXCLUSION } from './analyze.js';
export type {
  AnalyzeOptions,
  DiskAnalysis,
  ExcludedFile,
  SwapExclusion,
  VolumeAnalysis,
  VolumeStatus,
} from './analyze.js';
export { describeVolumes } from './describe.js';
export type { VolumeDescription } from './describe.js';
export { readPartitionTable } from './partitions/read-table.js';
export type { Partition, PartitionScheme, PartitionTable } from './partitions/types.js';
export { openNtfsVolume } from './ntfs/volume.js';
export type { NtfsVolume, VolumeInfo } from './ntfs/volume.js';
export { fileClusters, filesBeneath, resolvePath, splitGuestPath } from './ntfs/files.js';
export { loadUpcase, simpleFold } from './ntfs/upcase.js';
export type { ByteRange } from './ranges.js';
