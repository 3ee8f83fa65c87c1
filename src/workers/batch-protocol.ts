/**
 * The message format between BlockPool (main thread) and block-worker (worker threads).
 *
 * A batch carries several blocks in one message (fewer messages and wake-ups per MiB). Block bytes
 * travel in `data[i]` / `out[i]`: views over ArrayBuffers that are *moved* (transferList) to the
 * worker and moved back with the reply, never cloned. Only small per-batch arrays (identities,
 * nonces, codecs, lengths; a few bytes per block) are copied.
 */
import type { CompressionLevel } from '../core/blob.js';
import type { WireError } from '../errors.js';

/**
 * - `hash`: identity only, so the pipeline can dedup before paying for compression.
 * - `seal`: compress + encrypt blocks whose identities are already known (`identities` given).
 * - `hashAndSeal`: both in one pass (no dedup in between).
 */
export type BlockOp = 'hash' | 'seal' | 'hashAndSeal';

export interface BatchRequest {
  readonly op: BlockOp;
  readonly level: CompressionLevel;
  readonly identityKey: Uint8Array | undefined;
  readonly blobKey: Uint8Array | undefined;
  /** Full-capacity views; the block is `data[i].subarray(0, lengths[i])`. */
  readonly data: Uint8Array[];
  readonly lengths: Uint32Array;
  /** Seal ops: output views with at least maxPayloadBytes(lengths[i]) bytes. */
  readonly out: Uint8Array[];
  /** `seal`: packed IDENTITY_BYTES per block. */
  readonly identities: Uint8Array | undefined;
  /** Encrypted seal ops: packed NONCE_BYTES per block. */
  readonly nonces: Uint8Array | undefined;
  /**
   * `hash` / `hashAndSeal`: per block, a read map (core/read-map.ts) the worker runs into `data[i]`
   * first, or null when the block's bytes are already there. A block read as all zeros is flagged
   * in `zero` and neither hashed nor sealed.
   */
  readonly reads: (Float64Array | null)[] | undefined;
  /** Paths of the descriptors in `reads`, for error messages. */
  readonly readPaths: Readonly<Record<number, string>> | undefined;
  /**
   * `hashAndSeal`: an IdentityFilter's memory (core/identity-filter.ts). A block whose identity it
   * holds is not sealed (flagged in `known`): the main thread dedups it or sends it back to seal.
   */
  readonly known: SharedArrayBuffer | undefined;
}

export interface BatchReply {
  /** The request's views, moved back so their buffers can be reused. */
  readonly data: Uint8Array[];
  readonly out: Uint8Array[];
  /** Packed IDENTITY_BYTES per block (a copy of the request's for `seal`). */
  readonly identities: Uint8Array;
  /** Seal ops: codec per block; payload i is `out[i].subarray(0, payloadLengths[i])`. */
  readonly codecs: Uint8Array;
  readonly payloadLengths: Uint32Array;
  /** Seal ops: FRAME_HEADER_SIZE bytes per block, the blob's frame header (repository format). */
  readonly frameHeaders: Uint8Array;
  /** 1 for a block whose read map produced only zeros (not hashed, not sealed). */
  readonly zero: Uint8Array;
  /** 1 for a block the request's `known` set holds: hashed, not sealed. */
  readonly known: Uint8Array;
  /** Bytes the read maps read from files (zero fills excluded), and the milliseconds it took. */
  readonly bytesRead: number;
  readonly readMs: number;
  /** Set when the batch failed; the buffers still come back. */
  readonly error: WireError | undefined;
}

/** Every distinct ArrayBuffer behind `views`, once each (postMessage rejects duplicates). */
export function buffersOf(views: readonly Uint8Array[], into = new Set<ArrayBuffer>()): Set<ArrayBuffer> {
  for (const v of views) {
    if (v.buffer instanceof ArrayBuffer) into.add(v.buffer);
  }
  return into;
}
