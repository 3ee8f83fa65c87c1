/**
 * Messages between FrameRunPool (main thread) and frame-run-worker (worker threads): restore and
 * verify hand each worker a *run* of frames in one pack (a few MiB), described in a few hundred
 * bytes. The worker reads the run itself (pread on a file descriptor the main thread opened: fds
 * are process-wide, so nothing has to be opened or cached per thread and the main thread closes
 * each fd once the runs using it have settled), checks and decodes every frame and, for a raw
 * restore, pwrites the blocks itself. Block bytes cross the thread boundary only for a VHDX
 * restore, and then in one moved (never cloned) buffer per run.
 */
import type { WireError } from '../errors.js';

interface RunBase {
  /** Open read-only descriptor of the pack, and its path for error messages. */
  readonly packFd: number;
  readonly packPath: string;
  /** Byte range of the pack to read: [start, end). */
  readonly start: number;
  readonly end: number;
  readonly blobKey: Uint8Array | undefined;
  readonly identityKey: Uint8Array | undefined;
}

/**
 * Restore: the wanted frames of the run, in offset order (offset and frame length from the
 * manifest, identity it must carry), and which disk offsets each fills: frame i is written at
 * targets[targetStart[i]] … targets[targetStart[i + 1] - 1] (a blob can fill several blocks).
 */
export interface RestoreRun extends RunBase {
  readonly op: 'restore';
  readonly offsets: Float64Array;
  readonly frameLengths: Uint32Array;
  readonly identities: Uint8Array;
  readonly targetStart: Uint32Array;
  readonly targets: Float64Array;
  /** Also re-hash each block against its identity (restore's `rehash`). */
  readonly rehash: boolean;
  /** Largest raw block the point holds (its block size): the size of each block's slot in `blocks`. */
  readonly blockSize: number;
  /** Raw target: the worker writes each block here itself. Undefined: blocks come back in the reply. */
  readonly outFd: number | undefined;
  readonly outPath: string;
}

/**
 * Verify: walk every frame header from `start` to `end` and fully check each frame (decrypt,
 * decompress, re-hash). `offsets`/`identities` are the referenced frames inside the range (sorted):
 * they must be found and carry those identities; after a damaged header the walk resumes at the
 * next of them. `packEnd` is the committed end of the pack (for the error message).
 */
export interface VerifyRun extends RunBase {
  readonly op: 'verify';
  readonly offsets: Float64Array;
  readonly identities: Uint8Array;
  readonly packEnd: number;
}

/** Answered as soon as a thread has started: tells the pool which threads are up. */
export interface PingRun {
  readonly op: 'ping';
}

export type FrameRun = RestoreRun | VerifyRun | PingRun;

export interface RestoreRunReply {
  /** Set when the run failed (at the first bad frame); nothing after it was written. */
  readonly error: WireError | undefined;
  /** Disk bytes written (raw target), or bytes to write (VHDX). */
  readonly bytesWritten: number;
  /** VHDX target: frame i's block is blocks[i * blockSize, … + blockLengths[i]) (moved buffer). */
  readonly blocks: Uint8Array | undefined;
  readonly blockLengths: Uint32Array | undefined;
}

export interface VerifyProblemAt {
  readonly offset: number;
  readonly error: WireError;
}

export interface VerifyRunReply {
  readonly error: WireError | undefined;
  /** Frames visited (checked, whether they passed or not) and raw bytes of those that passed. */
  readonly frames: number;
  readonly bytes: number;
  /** 1 for each entry of the run's `offsets` that was reached as a frame, else 0. */
  readonly seen: Uint8Array;
  readonly problems: VerifyProblemAt[];
}

export type FrameRunReply = RestoreRunReply | VerifyRunReply | { readonly error: undefined };
