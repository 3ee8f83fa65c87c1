/**
 * BlockPool: the pipeline's handle on the worker threads (a ThreadSet) that hash, compress and
 * encrypt.
 *
 * Ops (batch-protocol.ts): `hash` (identity only, to dedup before compressing), `seal` (given
 * identities) and `hashAndSeal`. Restore and verify have their own pool (frame-run-pool.ts).
 *
 * Contracts:
 * - Batches: `submit(batch)` sends several blocks in one message (see DEFAULT_BATCH_BLOCKS).
 * - No cloning of block bytes: each slot's ArrayBuffer is moved to the worker and moved back; while in flight the
 *   slot's views are detached, and the returned views are put back into the same slot objects
 *   before the promise settles. The pipeline makes slots over its BufferRing, so memory stays bounded.
 * - Backpressure (Node's write()/drain): at most `maxInFlight` batches run or queue; `canSubmit()`
 *   turns false at the limit and 'drain' fires once there is room again (`whenCanSubmit()` awaits
 *   it). submit() past the limit still works; it only queues more. 'drain' and the in-flight count
 *   update after the settled batch's promise handlers ran, so slots released there are free again.
 * - Errors: a worker failure arrives as a DmError with its catalog code (toWire → fromWire); the
 *   failed batch's buffers still return to their slots. A dead thread rejects with
 *   DM_ERR_WORKER_FAILED, and then that batch's buffers are lost.
 */
import { EventEmitter } from 'node:events';
import { IDENTITY_BYTES, NONCE_BYTES, type CodecIdValue, type CompressionLevel } from '../core/blob.js';
import type { IdentityFilter } from '../core/identity-filter.js';
import { dmError, fromWire, isDmError } from '../errors.js';
import { buffersOf, type BatchReply, type BatchRequest, type BlockOp } from './batch-protocol.js';
import type { BlockSlot } from './block-slot.js';
import { FRAME_HEADER_SIZE } from '../format/constants.js';
import { BLOCK_WORKER_DATA, resolveOptions, type BlockPoolOptions } from './pool-options.js';
import { workerEntry } from './worker-entry.js';
import { maxPayloadBytes } from '../compute/seal.js';
import { ThreadSet } from './thread-set.js';

export { DEFAULT_BATCH_BLOCKS, type BlockPoolOptions } from './pool-options.js';

export interface BlockBatch {
  readonly op: BlockOp;
  /** Required for `seal` and `hashAndSeal`. */
  readonly level?: CompressionLevel;
  readonly identityKey?: Uint8Array;
  readonly blobKey?: Uint8Array;
  readonly slots: readonly BlockSlot[];
  /** `seal`: packed IDENTITY_BYTES per slot (from an earlier `hash`). */
  readonly identities?: Uint8Array;
  /** Encrypted seals: packed NONCE_BYTES per slot (main thread assigns them: nonceFromCounter). */
  readonly nonces?: Uint8Array;
  /** `hash` / `hashAndSeal`: per slot, a read map the worker runs into the slot first (or none). */
  readonly reads?: readonly (Float64Array | undefined)[];
  /** Paths of the descriptors in `reads`, for error messages. */
  readonly readPaths?: Readonly<Record<number, string>>;
  /** `hashAndSeal`: blocks whose identity this set holds are hashed, not sealed (`known`). */
  readonly known?: IdentityFilter;
}

export interface BatchResult {
  /** Packed IDENTITY_BYTES per slot; `identity(i)` gives a view. */
  readonly identities: Uint8Array;
  /** Seal ops: codec of each slot's payload. */
  readonly codecs: readonly CodecIdValue[];
  /** Seal ops: payload i is `slots[i].out.subarray(0, payloadLengths[i])`. */
  readonly payloadLengths: Uint32Array;
  /** Seal ops: the frame header of blob i (repository format), built on the worker. */
  frameHeader(i: number): Uint8Array;
  /** 1 where a slot's read map produced only zeros (that slot was neither hashed nor sealed). */
  readonly zero: Uint8Array;
  /** 1 where the batch's `known` set held the slot's identity (hashed, not sealed). */
  readonly known: Uint8Array;
  /** Bytes the read maps read from files, and the milliseconds the workers spent reading. */
  readonly bytesRead: number;
  readonly readMs: number;
  identity(i: number): Uint8Array;
}

/** What a seal engine needs of a pool: BlockPool (worker threads) or NativeBlockPool (the addon). */
export interface BlockCompute {
  readonly threads: number;
  submit(batch: BlockBatch): Promise<BatchResult>;
  /** Finishes the batches submitted, then releases the threads. */
  close(): Promise<void>;
}

export function validateBatch(batch: BlockBatch): void {
  const n = batch.slots.length;
  const { op } = batch;
  const seals = op === 'seal' || op === 'hashAndSeal';
  if (n === 0) throw dmError('DM_ERR_INTERNAL', 'empty batch');
  if (seals && batch.level === undefined) throw dmError('DM_ERR_INTERNAL', `${op} needs a level`);
  if (op === 'seal' && batch.identities?.length !== n * IDENTITY_BYTES) {
    throw dmError('DM_ERR_INTERNAL', `${op} needs one identity per slot`);
  }
  if (batch.reads && (op === 'seal' || batch.reads.length !== n)) {
    throw dmError('DM_ERR_INTERNAL', `${op} with read maps needs one per slot (and hashes)`);
  }
  if (op !== 'hash' && batch.blobKey && batch.nonces?.length !== n * NONCE_BYTES) {
    throw dmError('DM_ERR_INTERNAL', `encrypted ${op} needs one nonce per slot`);
  }
  batch.slots.forEach((slot) => {
    if (slot.data.byteLength === 0 && slot.length > 0) {
      throw dmError('DM_ERR_INTERNAL', 'slot is already in flight');
    }
    const outNeeded = seals ? maxPayloadBytes(slot.length) : 0;
    if (slot.length > slot.data.length || slot.out.length < outNeeded) {
      throw dmError('DM_ERR_INTERNAL', `slot of ${slot.data.length} bytes cannot hold ${slot.length}`);
    }
  });
}

export class BlockPool extends EventEmitter implements BlockCompute {
  readonly threads: number;
  readonly maxInFlight: number;
  readonly batchSize: number;
  readonly #threads: ThreadSet<BatchRequest, BatchReply>;
  #inFlight = 0;
  #closed = false;

  constructor(options: BlockPoolOptions = {}) {
    super();
    const o = resolveOptions(options);
    this.threads = o.threads;
    this.maxInFlight = o.maxInFlight;
    this.batchSize = o.batchSize;
    const entry = workerEntry('block-worker');
    this.#threads = new ThreadSet<BatchRequest, BatchReply>({
      threads: o.threads,
      filename: entry.filename,
      execArgv: entry.execArgv,
      workerData: BLOCK_WORKER_DATA,
      what: 'compute thread',
    });
  }

  /** Threads this pool took over from prestartComputeThreads instead of starting them. */
  get adoptedThreads(): number {
    return this.#threads.adopted;
  }

  /** Batches submitted and not yet settled (a batch counts until its promise handlers have run). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** False at the in-flight limit: wait for 'drain' (or `whenCanSubmit()`) before submitting more. */
  canSubmit(): boolean {
    return this.#inFlight < this.maxInFlight;
  }

  /** Resolves when canSubmit() is true. */
  whenCanSubmit(): Promise<void> {
    if (this.canSubmit()) return Promise.resolve();
    return new Promise((resolve) => this.once('drain', () => resolve()));
  }

  async submit(batch: BlockBatch): Promise<BatchResult> {
    if (this.#closed) throw dmError('DM_ERR_INTERNAL', 'BlockPool is closed');
    validateBatch(batch);
    const { op, slots } = batch;
    const encrypted = op !== 'hash' && batch.blobKey !== undefined;
    const req: BatchRequest = {
      op,
      level: batch.level ?? 'none',
      identityKey: batch.identityKey,
      blobKey: encrypted ? batch.blobKey : undefined,
      data: slots.map((s) => s.data),
      lengths: Uint32Array.from(slots, (s) => s.length),
      out: slots.map((s) => s.out), // always: every moved buffer must come back
      identities: op === 'seal' ? batch.identities : undefined,
      nonces: encrypted ? batch.nonces : undefined,
      reads: batch.reads ? batch.reads.map((r) => r ?? null) : undefined,
      readPaths: batch.readPaths,
      known: op === 'hashAndSeal' ? batch.known?.buffer : undefined,
    };
    // A slot's out view usually shares the data buffer; buffersOf sends each buffer once.
    const transferList = [...buffersOf(req.out, buffersOf(req.data))];
    this.#inFlight++;
    let reply: BatchReply;
    try {
      reply = await this.#threads.request(req, transferList);
    } catch (err) {
      throw isDmError(err)
        ? err
        : dmError('DM_ERR_WORKER_FAILED', `worker failed: ${String(err)}`, undefined, err);
    } finally {
      // Deferred to a macrotask so the caller's handlers on this batch's promise (which release its
      // slots) run before 'drain': a ring of (maxInFlight + 1) × batchSize slots never runs dry.
      setImmediate(() => this.#settle());
    }
    // Re-attach the moved-back views to the caller's slots.
    slots.forEach((slot, i) => {
      slot.data = reply.data[i]!;
      slot.out = reply.out[i]!;
    });
    if (reply.error) throw fromWire(reply.error);
    const identities = reply.identities;
    return {
      identities,
      codecs: Array.from(reply.codecs) as CodecIdValue[],
      payloadLengths: reply.payloadLengths,
      zero: reply.zero,
      known: reply.known,
      bytesRead: reply.bytesRead,
      readMs: reply.readMs,
      identity: (i) => identities.subarray(i * IDENTITY_BYTES, (i + 1) * IDENTITY_BYTES),
      frameHeader: (i) => reply.frameHeaders.subarray(i * FRAME_HEADER_SIZE, (i + 1) * FRAME_HEADER_SIZE),
    };
  }

  #settle(): void {
    this.#inFlight--;
    if (this.#inFlight === this.maxInFlight - 1) this.emit('drain');
    if (this.#inFlight === 0) this.emit('idle');
  }

  /** Resolves once no batch is in flight (and every settled batch's handlers have run). */
  whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', () => resolve()));
  }

  /** Finishes queued work, then stops the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.whenIdle();
    await this.#threads.terminate();
  }

  /** Stops the threads at once; pending batches reject. */
  async destroy(): Promise<void> {
    this.#closed = true;
    await this.#threads.destroy();
  }
}
