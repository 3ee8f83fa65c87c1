/** What the pipeline's sink writes to, and what it counts. */
import type { SealedBlob } from '../core/blob.js';

/** The writer as the pipeline uses it (repository PointWriter fits). */
export interface BlockTarget {
  has(identity: Uint8Array): boolean;
  putBlob(blockIndex: number, sealed: SealedBlob): Promise<void>;
  putDuplicate(blockIndex: number, identity: Uint8Array): void;
  putZero(blockIndex: number): void;
  putSkipped(blockIndex: number): void;
  readonly keys: {
    readonly identityKey: Uint8Array | undefined;
    nextNonce(): Uint8Array | undefined;
  };
}

/** Counters in the units of design.md §3.1 (bytes) plus block counts. */
export interface ProcessorCounters {
  /** Bytes read from the source (large BitLooker-zeroed ranges inside a block are not read). */
  readBytes: number;
  /** Bytes of the blocks read (what is hashed, deduped and compressed). */
  blockBytes: number;
  zeroBlocks: number;
  zeroReadBlocks: number;
  skippedBlocks: number;
  unchangedBlocks: number;
  duplicateBlocks: number;
  duplicateBytes: number;
  /** Of duplicateBlocks: found by the compute threads in the identity set, never compressed. */
  duplicatesBeforeSeal: number;
  storedBlocks: number;
  /** Raw bytes of blocks stored as new blobs (after dedup, before compression). */
  storedRawBytes: number;
  /** Payload bytes of new blobs handed to the writer (after dedup + compression + encryption). */
  transferredBytes: number;
  doneBytes: number;
}

export function newCounters(): ProcessorCounters {
  return {
    readBytes: 0,
    blockBytes: 0,
    zeroBlocks: 0,
    zeroReadBlocks: 0,
    skippedBlocks: 0,
    unchangedBlocks: 0,
    duplicateBlocks: 0,
    duplicateBytes: 0,
    duplicatesBeforeSeal: 0,
    storedBlocks: 0,
    storedRawBytes: 0,
    transferredBytes: 0,
    doneBytes: 0,
  };
}
