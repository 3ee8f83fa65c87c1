/**
 * The contract between the compute workers (which seal blocks) and the repository (which stores and
 * later opens them). Pure types and constants; the byte layout on disk is the repository's business.
 */

/** Compression codec ids as stored in the repository. Frozen: never renumber or reuse an id. */
export const CodecId = {
  none: 0,
  rle: 1,
  lz4: 2,
  zstd: 3,
} as const;
export type CodecIdValue = (typeof CodecId)[keyof typeof CodecId];

/** User-facing compression levels (design.md §4) and the codec each one tries. */
export type CompressionLevel = 'none' | 'dedupe-friendly' | 'optimal' | 'high' | 'extreme';
export const COMPRESSION_LEVELS: readonly CompressionLevel[] = [
  'none',
  'dedupe-friendly',
  'optimal',
  'high',
  'extreme',
];

/** Length of a block identity in bytes: BLAKE3-256, keyed when the repository is encrypted. */
export const IDENTITY_BYTES = 32;
/** AES-256-GCM nonce and tag lengths. */
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** A block after compression (and encryption): what the pipeline hands the repository writer. */
export interface SealedBlob {
  /** IDENTITY_BYTES of block identity of the *uncompressed* block (keyed hash when encrypted). */
  readonly identity: Uint8Array;
  /** Codec actually used; `none` when compression did not shrink the block. */
  readonly codec: CodecIdValue;
  /** Uncompressed length in bytes. */
  readonly rawLength: number;
  /** Stored bytes: the compressed block; when encrypted, ciphertext followed by the 16-byte GCM tag. */
  readonly payload: Uint8Array;
  /** 12-byte GCM nonce when encrypted, else undefined. */
  readonly nonce: Uint8Array | undefined;
  /**
   * The blob's frame header (repository format), when the sealing thread built it: the writer
   * checks it against these fields instead of computing the payload CRC itself.
   */
  readonly frameHeader?: Uint8Array;
}

/**
 * Additional authenticated data for a sealed blob: binds the ciphertext to its identity, codec and
 * length, so a stored blob cannot be swapped for another or relabelled. 37 bytes.
 */
export function blobAad(identity: Uint8Array, codec: CodecIdValue, rawLength: number): Uint8Array {
  const aad = new Uint8Array(IDENTITY_BYTES + 5);
  aad.set(identity.subarray(0, IDENTITY_BYTES), 0);
  aad[IDENTITY_BYTES] = codec;
  new DataView(aad.buffer).setUint32(IDENTITY_BYTES + 1, rawLength >>> 0, true);
  return aad;
}
