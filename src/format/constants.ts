/**
 * Frozen constants of the repository byte format (docs/repository-format.md).
 *
 * WARNING: DO NOT MODIFY these magic numbers, versions or sizes. Files written with them exist on
 * disk; a change is a format break. New structures get new magics; new versions get new numbers.
 */

/** Every magic is 6 ASCII letters + CR LF, so text-mode mangling of a file is detected at once. */
export const CONFIG_MAGIC = Uint8Array.of(0x44, 0x4d, 0x52, 0x45, 0x50, 0x4f, 0x0d, 0x0a); // "DMREPO\r\n"
export const PACK_MAGIC = Uint8Array.of(0x44, 0x4d, 0x50, 0x41, 0x43, 0x4b, 0x0d, 0x0a); // "DMPACK\r\n"
export const POINT_MAGIC = Uint8Array.of(0x44, 0x4d, 0x50, 0x4f, 0x49, 0x4e, 0x0d, 0x0a); // "DMPOIN\r\n"
/** Every blob frame starts with "DMBF" so a scanner can find frames again after damage. */
export const FRAME_MAGIC = 0x46424d44; // "DMBF" read as u32 LE

export const CONFIG_VERSION = 1;
export const PACK_VERSION = 1;
export const POINT_VERSION = 1;

export const CONFIG_SIZE = 160;
export const PACK_HEADER_SIZE = 80;
export const FRAME_HEADER_SIZE = 72;
export const ENVELOPE_HEADER_SIZE = 80;
export const POINT_FIXED_SIZE = 128;
export const PACK_ENTRY_SIZE = 24;
export const BLOB_ENTRY_SIZE = 48;

/**
 * Flags words are u16. Bits 0-7 are "must understand": a reader that meets an unknown one refuses
 * the file (DM_ERR_REPO_VERSION). Bits 8-15 are "may ignore": unknown ones are skipped.
 */
export const FLAG_ENCRYPTED = 0x0001;
export const KNOWN_REQUIRED_FLAGS = FLAG_ENCRYPTED;
export const REQUIRED_FLAGS_MASK = 0x00ff;

/** KDF ids in the config. Frozen; retired ids are never reused. */
export const KdfId = { none: 0, scrypt: 1, pbkdf2Sha256: 2 } as const;
export type KdfIdValue = (typeof KdfId)[keyof typeof KdfId];

/** Point types. Every manifest maps every block, so a reader can restore any type, even unknown ones. */
export const PointTypeId = { full: 0, incremental: 1, syntheticFull: 2, mergedFull: 3 } as const;
export type PointType = keyof typeof PointTypeId;

/** Block-map sentinels; any other value is an index into the manifest's blob table. */
export const BLOCK_ZERO = 0xffffffff;
export const BLOCK_SKIPPED = 0xfffffffe;
export const MAX_BLOB_INDEX = 0xfffffff0;

/** Bounds that keep a forged header from causing a giant allocation. */
export const MAX_BLOCK_SIZE = 64 * 1024 * 1024;
export const MIN_BLOCK_SIZE = 4096;
export const MAX_STORED_LENGTH = MAX_BLOCK_SIZE + 4096;
export const MAX_BLOCK_COUNT = 2 ** 28;
export const MAX_NAME_BYTES = 1024;
export const MAX_METADATA_BODY = 2 ** 31 - 1;

export const SALT_BYTES = 32;
export const ID_BYTES = 8;
