/**
 * NativeBlockPool: the BlockPool contract (submit → BatchResult) run by the own addon's sealBatch
 * (native/seal-batch.c) on its own compute threads (native/compute-pool.c) instead of on worker
 * threads.
 *
 * Why: on the 2-core build machine a compute worker cost ~60 ms of CPU to boot before it ran a line
 * of ours, every batch paid a structured-clone message each way, and the workers' JavaScript and
 * GC around the native calls came to ~0.2 s of CPU per backup of the default fixtures disk
 * (perf, 2026-12-04). Here a batch is one job on the addon's threads: the buffers never move
 * (JavaScript leaves a slot alone while its batch runs, as it does while a slot sits in a worker),
 * and the bytes stored are the worker path's own (test/workers/native-pool.test.ts compares the
 * frames).
 *
 * Scope: what a default backup runs, levels none and optimal (LZ4); x86-64 with SSE4.2 (the addon
 * registers sealBatch only there). Other levels and machines keep the worker threads (native-fit.ts).
 * The addon queues the batches; `threads` run at once.
 */
import { constants } from 'node:os';
import { IDENTITY_BYTES, type CodecIdValue } from '../core/blob.js';
import type { ComputePoolHandle, SealBatchOptions, SealBatchStats } from '../core/native.js';
import { dmError, fromSystemError } from '../errors.js';
import { FRAME_HEADER_SIZE } from '../format/constants.js';
import type { BatchResult, BlockBatch, BlockCompute } from './pool.js';
import { validateBatch } from './pool.js';
import { NATIVE_LEVELS, type NativeCompute } from './native-fit.js';

export { nativeFits } from './native-fit.js';

const OPS = { hash: 0, seal: 1, hashAndSeal: 2 } as const;
enum Status {
  ok = 0,
  readErrno = 1,
  readShort = 2,
  cryptoFailed = 3,
  badMap = 4,
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

export class NativeBlockPool implements BlockCompute {
  #pending = 0;
  readonly #idle: (() => void)[] = [];
  #closed = false;
  readonly #pool: ComputePoolHandle;
  /** Int32Array over the last identity set seen (a job sends the same one every batch). */
  #knownWords: Int32Array | undefined;

  constructor(
    readonly threads: number,
    private readonly native: NativeCompute,
  ) {
    this.#pool = native.computePool(threads);
  }

  submit(batch: BlockBatch): Promise<BatchResult> {
    if (this.#closed) return Promise.reject(dmError('DM_ERR_INTERNAL', 'NativeBlockPool is closed'));
    return new Promise((resolve, reject) => {
      try {
        validateBatch(batch);
        this.#run(batch, (err, result) => {
          this.#finished();
          if (err) reject(err);
          else resolve(result!);
        });
        this.#pending++;
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  #finished(): void {
    if (--this.#pending === 0) for (const done of this.#idle.splice(0)) done();
  }

  #run(batch: BlockBatch, done: (err: Error | undefined, result?: BatchResult) => void): void {
    const { op, slots } = batch;
    const n = slots.length;
    const level = NATIVE_LEVELS[batch.level ?? 'none'];
    if (level === undefined) throw dmError('DM_ERR_INTERNAL', `no native codec for level ${batch.level}`);
    const encrypted = op !== 'hash' && batch.blobKey !== undefined;
    // The batch's outputs share one allocation: payload lengths, identities, frame headers, then a
    // byte each for codec, zero and known.
    const out = new ArrayBuffer(n * (4 + IDENTITY_BYTES + FRAME_HEADER_SIZE + 3));
    const payloadLengths = new Uint32Array(out, 0, n);
    let at = 4 * n;
    const bytes = (length: number) => new Uint8Array(out, (at += length) - length, length);
    const fresh = bytes(n * IDENTITY_BYTES);
    const identities = op === 'seal' ? batch.identities! : fresh;
    const frameHeaders = bytes(n * FRAME_HEADER_SIZE);
    const codecs = bytes(n);
    const zero = bytes(n);
    const known = bytes(n);
    const set = op === 'hashAndSeal' ? batch.known : undefined;
    if (set && this.#knownWords?.buffer !== set.buffer) this.#knownWords = new Int32Array(set.buffer);
    const options: SealBatchOptions = {
      op: OPS[op],
      level,
      identityKey: batch.identityKey,
      blobKey: encrypted ? batch.blobKey : undefined,
      data: slots.map((s) => s.data),
      lengths: Uint32Array.from(slots, (s) => s.length),
      identities,
      nonces: encrypted ? batch.nonces : undefined,
      reads: batch.reads?.map((r) => r ?? null),
      known: set ? this.#knownWords : undefined,
      codecs,
      payloadLengths,
      frameHeaders,
      zero,
      knownOut: known,
    };
    this.native.sealBatch(this.#pool, options, (status, stats) => {
      if (status !== Status.ok) return done(batchError(status, stats, batch));
      // Sealed in place: a slot whose output is another buffer gets its payload copied there.
      slots.forEach((s, i) => {
        if (s.out.buffer !== s.data.buffer && !zero[i] && !known[i] && op !== 'hash')
          s.out.set(s.data.subarray(0, payloadLengths[i]!));
      });
      done(undefined, {
        identities,
        codecs: Array.from(codecs) as CodecIdValue[],
        payloadLengths,
        zero,
        known,
        bytesRead: stats.bytesRead,
        readMs: stats.readMs,
        identity: (i) => identities.subarray(i * IDENTITY_BYTES, (i + 1) * IDENTITY_BYTES),
        frameHeader: (i) => frameHeaders.subarray(i * FRAME_HEADER_SIZE, (i + 1) * FRAME_HEADER_SIZE),
      });
    });
  }

  /** Resolves once no batch runs or waits. */
  whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Finishes the batches submitted, then stops the threads; later submits are refused. */
  async close(): Promise<void> {
    if (this.#closed) return this.whenIdle();
    this.#closed = true;
    await this.whenIdle();
    this.native.closeComputePool(this.#pool);
  }
}

/** The catalog error of a failed batch, as block-worker.ts would have raised it. */
function batchError(status: number, stats: SealBatchStats, batch: BlockBatch): Error {
  const { fd, offset, failedBlock } = stats;
  const file = batch.readPaths?.[fd] ?? `fd ${fd}`;
  if (status === Status.readErrno) {
    const code = errnoNames.get(stats.errno) ?? `errno ${stats.errno}`;
    const sys = Object.assign(new Error(`${code}: read at ${offset}`), { code });
    return fromSystemError(sys, 'read', file);
  }
  if (status === Status.readShort)
    return dmError(
      'DM_ERR_SOURCE_TRUNCATED',
      `the file ended at ${offset} while reading block ${failedBlock} of a batch: it shrank while open`,
      { file, offset },
    );
  if (status === Status.badMap)
    return dmError('DM_ERR_INTERNAL', `the read map of block ${failedBlock} of a batch exceeds its buffer`);
  return dmError('DM_ERR_INTERNAL', `sealing block ${failedBlock} of a batch failed (OpenSSL AES-256-GCM)`);
}
