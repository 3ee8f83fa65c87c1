/**
 * VHDX constants (formats.md §1): structure offsets, signatures, region and metadata GUIDs, BAT states
 * and size limits. Pure values; shared by the reader and the writer.
 */

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Fixed offsets inside the 1 MiB header section (§1.1). */
export const FILE_ID_OFFSET = 0;
export const HEADER1_OFFSET = 64 * KiB;
export const HEADER2_OFFSET = 128 * KiB;
export const REGION1_OFFSET = 192 * KiB;
export const REGION2_OFFSET = 256 * KiB;
export const HEADER_SECTION_SIZE = 1 * MiB;

/** Sizes of the fixed structures. */
export const FILE_ID_SIZE = 64 * KiB;
export const HEADER_SIZE = 4 * KiB;
export const REGION_TABLE_SIZE = 64 * KiB;
export const METADATA_TABLE_SIZE = 64 * KiB;
export const LOG_SECTOR_SIZE = 4 * KiB;
/** Every sector-bitmap block is 1 MiB and covers 2^23 logical sectors (§1.7). */
export const SECTOR_BITMAP_BLOCK_SIZE = 1 * MiB;
export const SECTORS_PER_CHUNK = 2 ** 23;

/** Signatures as ASCII (stored little-endian, i.e. in reading order). */
export const SIG_FILE_ID = 'vhdxfile';
export const SIG_HEADER = 'head';
export const SIG_REGION_TABLE = 'regi';
export const SIG_METADATA_TABLE = 'metadata';
export const SIG_LOG_ENTRY = 'loge';
export const SIG_LOG_DESC = 'desc';
export const SIG_LOG_ZERO = 'zero';
export const SIG_LOG_DATA = 'data';

/** Region GUIDs (§1.5), canonical lowercase. */
export const REGION_GUID_BAT = '2dc27766-f623-4200-9d64-115e9bfd4a08';
export const REGION_GUID_METADATA = '8b7ca206-4790-4b9a-b8fe-575f050f886e';

/** Metadata item GUIDs (§1.6). */
export const META_GUID_FILE_PARAMETERS = 'caa16737-fa36-4d43-b3b6-33f0aa44e76b';
export const META_GUID_VIRTUAL_DISK_SIZE = '2fa54224-cd1b-4876-b211-5dbed83bf4b8';
export const META_GUID_VIRTUAL_DISK_ID = 'beca12ab-b2e6-4523-93ef-c309e000c746';
export const META_GUID_LOGICAL_SECTOR_SIZE = '8141bf1d-a96f-4709-ba47-f233a8faab5f';
export const META_GUID_PHYSICAL_SECTOR_SIZE = 'cda348c7-445d-4471-9cc9-e9885251c556';
export const META_GUID_PARENT_LOCATOR = 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c';

/** The only defined parent locator type (§1.8). */
export const PARENT_LOCATOR_TYPE_VHDX = 'b04aefb7-d19e-4a81-b789-25b8e9445913';

/** Metadata entry flag bits (§1.6). */
export const META_FLAG_IS_USER = 0x1;
export const META_FLAG_IS_VIRTUAL_DISK = 0x2;
export const META_FLAG_IS_REQUIRED = 0x4;

/** BAT entry states (§1.7). 4 is reserved; 5 is the legacy (v0.95) UNMAPPED value. */
export const BatState = {
  NotPresent: 0,
  Undefined: 1,
  Zero: 2,
  Unmapped: 3,
  LegacyUnmapped: 5,
  FullyPresent: 6,
  PartiallyPresent: 7,
} as const;
/** Sector-bitmap entry states. */
export const SbState = { NotPresent: 0, Present: 6 } as const;

/** Limits (§1.10). */
export const MAX_VIRTUAL_SIZE = 2 ** 46;
export const MIN_BLOCK_SIZE = 1 * MiB;
export const MAX_BLOCK_SIZE = 256 * MiB;
export const MAX_REGION_ENTRIES = 2047;
export const MAX_METADATA_ENTRIES = 2047;
export const MAX_METADATA_USER_ENTRIES = 1024;
export const MAX_METADATA_ITEM_SIZE = 1 * MiB;
/** Implementation limits (openvmm's, §1.10): bound memory against forged sizes. */
export const MAX_BAT_REGION_SIZE = 513 * MiB;
export const MAX_METADATA_REGION_SIZE = 128 * MiB;
export const MAX_PARENT_LOCATOR_ENTRIES = 256;
/** Differencing chains deeper than this are refused (7-Zip's cap). */
export const MAX_CHAIN_DEPTH = 256;
