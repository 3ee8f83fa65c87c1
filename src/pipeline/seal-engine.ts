/**
 * Where the compute stages run. The pipeline sees only this interface: an inline engine (main
 * thread; tests, tiny disks, and the single-core baseline) or the worker pool adapter. Blocks
 * travel as whole ring buffers; a sealed payload is written back into its own block buffer (the
 * input is dead once hashed and compressed), so one buffer carries a block from read to write.
 */
import type { CompressionLevel, SealedBlob } from '../core/blob.js';
import type { IdentityFilter } from '../core/identity-filter.js';

/** Path of each file descriptor a read map uses (ReadMapper.paths). */
export type ReadPaths = Readonly<Record<number, string>>;

/** Per-job constants every seal uses. */
export interface SealConfig {
  readonly level: CompressionLevel;
  /** Keyed identities (encrypted repository). */
  readonly identityKey: Uint8Array | undefined;
  /** AES-256-GCM key of the writer session; undefined for a plain repository. */
  readonly blobKey: Uint8Array | undefined;
  /**
   * Identities the writer holds: an engine may skip sealing a block found here and return it in
   * `knownJobs` instead (the pool's threads do; the inline engine seals everything).
   */
  readonly known?: IdentityFilter;
}

export interface BlockJob {
  readonly index: number;
  /** A whole ring buffer (blockSize + tag bytes); the block is its first `length` bytes. */
  buffer: Uint8Array;
  readonly length: number;
  identity?: Uint8Array;
  /** Assigned by the main thread (never by workers), so nonces are unique per session. */
  nonce?: Uint8Array;
  /** Read map (core/read-map.ts): the engine's thread reads the block into `buffer` first. */
  reads?: Float64Array;
}

/** A block and the ring buffer holding it (its first `length` bytes). */
export interface BlockRef {
  readonly index: number;
  readonly buffer: Uint8Array;
  readonly length: number;
}

/** A block whose read map produced only zeros: neither hashed nor sealed. */
export type ZeroJob = BlockRef;

export interface SealedJob {
  readonly index: number;
  /** The ring buffer again (maybe a new object over the same memory); holds the payload. */
  readonly buffer: Uint8Array;
  /** Its payload is a view into `buffer`: release the buffer only after the writer is done. */
  readonly sealed: SealedBlob;
}

export interface HashedJob extends BlockRef {
  readonly identity: Uint8Array;
}

export interface EngineResult<T> {
  readonly jobs: T[];
  /** Jobs with read maps that read as all zeros (never from engines without `readsBlocks`). */
  readonly zeroJobs: readonly ZeroJob[];
  /** `seal`: hashed jobs left unsealed because `SealConfig.known` holds their identity. */
  readonly knownJobs?: readonly HashedJob[];
  /** Bytes read by read maps, and the milliseconds summed over threads. */
  readonly bytesRead: number;
  readonly readMs: number;
  /** Compute milliseconds spent on this batch (summed over threads), for the proxy share. */
  readonly computeMs: number;
}

export interface SealEngine {
  /** Threads doing compute (their summed read time is divided by this for the sourceRead clock). */
  readonly computeThreads: number;
  /** True when jobs may carry read maps (`reads`) for the engine's threads to run. */
  readonly readsBlocks: boolean;
  /**
   * Identity of each block; buffers come back untouched. `readPaths` names the descriptors of the
   * jobs' read maps in errors.
   */
  hash(jobs: BlockJob[], readPaths?: ReadPaths): Promise<EngineResult<HashedJob>>;
  /** Hash (unless `identity` is set), compress, encrypt; payload written into the block's buffer. */
  seal(jobs: BlockJob[], readPaths?: ReadPaths): Promise<EngineResult<SealedJob>>;
  close(): Promise<void>;
}
