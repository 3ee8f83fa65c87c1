/** `datamover fixtures`: a simulated infrastructure with real NTFS guest disks, and one-off disks. */
export { generateFixtures } from '../fixtures/generate-fixtures.js';
export type {
  GenerateFixturesOptions,
  FixturesProgress,
  FixturesResult,
} from '../fixtures/generate-fixtures.js';
export { generateDisk, DEFAULT_DISK_SIZE } from '../fixtures/generate-disk.js';
export type { GenerateDiskOptions, DiskManifest, ManifestFile } from '../fixtures/generate-disk.js';
