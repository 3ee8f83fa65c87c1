/**
 * The sink end of the pipeline: a Writable that takes read blocks and plan runs, drops zero blocks,
 * dedups by identity against the writer (the backup file's scope), sends the rest in batches to
 * the seal engine, and hands sealed blobs to the writer. Capacity is awaited: the write callback
 * is held while `maxInFlight` batches are out, and every buffer returns to the ring only when the
 * writer is done with it, so memory is bounded by the ring whatever the disk size.
 */
import { Writable } from 'node:stream';
import type { SealedBlob } from '../core/blob.js';
import { dmError } from '../errors.js';
import { blockIdentity } from '../workers/identity.js';
import { isAllZero } from '../workers/zero.js';
import type { StreamItem } from './block-reader.js';
import type { BufferRing } from './buffer-ring.js';
import type { BlockJob, EngineResult, SealEngine, SealedJob } from './seal-engine.js';
import type { StageClocks } from './stats.js';

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

/**
 * Where identity hashing runs (measured in bench/backup-raw-pipeline.ts):
 * - `fused`: one round trip hashes and seals; a duplicate found afterwards is discarded (its
 *   compression was wasted). Fewest messages; best on unique data.
 * - `main`: hash on the main thread, dedup, then seal only new blocks (identity passed along).
 * - `pool`: hash round trip to the workers, dedup, then a seal round trip for new blocks.
 * - `auto`: `fused` while duplicates are rare, `pool` while they are common (see AUTO_POOL_ABOVE).
 */
export type HashPlacement = 'auto' | 'fused' | 'main' | 'pool';

/**
 * `auto` hashes first (`pool`) once more than this share of recent blocks were duplicates. A
 * duplicate sealed for nothing costs its compression and encryption (~1.5 ms per MiB at LZ4); the
 * hash round trip costs every block ~0.2 ms (2 GiB unique data, 2 threads: pool used 0.3–0.8 s
 * more CPU than fused), so hashing first pays above roughly one duplicate in eight.
 */
const AUTO_POOL_ABOVE = 0.12;
/** Weight of each block in the running duplicate share (~the last 32 blocks count). */
const DUP_RATE_WEIGHT = 1 / 32;

export interface ProcessorOptions {
  readonly target: BlockTarget;
  readonly engine: SealEngine;
  readonly ring: BufferRing;
  readonly clocks: StageClocks;
  readonly blockSize: number;
  readonly virtualSize: number;
  readonly batchSize: number;
  readonly maxInFlight: number;
  readonly hashPlacement: HashPlacement;
  /** Incremental points start as a copy of the parent: zero runs must be written explicitly. */
  readonly incremental: boolean;
  readonly onProgress?: (doneBytes: number) => void;
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
  storedBlocks: number;
  /** Raw bytes of blocks stored as new blobs (after dedup, before compression). */
  storedRawBytes: number;
  /** Payload bytes of new blobs handed to the writer (after dedup + compression + encryption). */
  transferredBytes: number;
  doneBytes: number;
}

export class BlockProcessor extends Writable {
  readonly counters: ProcessorCounters = {
    readBytes: 0,
    blockBytes: 0,
    zeroBlocks: 0,
    zeroReadBlocks: 0,
    skippedBlocks: 0,
    unchangedBlocks: 0,
    duplicateBlocks: 0,
    duplicateBytes: 0,
    storedBlocks: 0,
    storedRawBytes: 0,
    transferredBytes: 0,
    doneBytes: 0,
  };
  #batch: BlockJob[] = [];
  #inFlight = 0;
  #writes = new Set<Promise<void>>();
  #waiting: (() => void) | undefined;
  #error: Error | undefined;
  #idle: (() => void)[] = [];
  /** Running share of duplicates among recent non-zero blocks (drives `auto`). */
  #dupRate = 0;

  constructor(private readonly o: ProcessorOptions) {
    super({ objectMode: true, highWaterMark: Math.max(1, o.batchSize) });
  }

  override _write(item: StreamItem, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#error) return callback(this.#error);
    try {
      const net = this.o.clocks.network;
      if (item.kind === 'read') {
        this.counters.readBytes += item.bytesRead;
        this.#onBlock(item.index, item.buffer, item.length, item.reads);
      } else net.time(() => this.#onRun(item.kind, item.first, item.count));
      if (this.#batch.length >= this.o.batchSize || (this.#batch.length > 0 && this.o.ring.waiting > 0))
        this.#dispatch();
    } catch (err) {
      return callback(err as Error);
    }
    if (this.#inFlight < this.o.maxInFlight) return callback();
    this.#waiting = () => callback(this.#error ?? null);
  }

  override _final(callback: (err?: Error | null) => void): void {
    try {
      if (this.#batch.length > 0) this.#dispatch();
    } catch (err) {
      return callback(err as Error);
    }
    this.#whenIdle()
      .then(() => callback(this.#error ?? null))
      .catch((err: unknown) => callback(err as Error));
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // Let batches and writes still out settle before the job aborts the writer.
    this.#error ??= err ?? undefined;
    this.#whenIdle().then(
      () => callback(err),
      () => callback(err),
    );
  }

  #onRun(kind: 'zero' | 'skipped' | 'unchanged', first: number, count: number): void {
    const t = this.o.target;
    if (kind === 'zero') {
      this.counters.zeroBlocks += count;
      if (this.o.incremental) for (let i = first; i < first + count; i++) t.putZero(i);
    } else if (kind === 'skipped') {
      this.counters.skippedBlocks += count;
      for (let i = first; i < first + count; i++) t.putSkipped(i);
    } else this.counters.unchangedBlocks += count;
    this.#progress(Math.min(count * this.o.blockSize, this.o.virtualSize - first * this.o.blockSize));
  }

  #onBlock(index: number, buffer: Uint8Array, length: number, reads: Float64Array | undefined): void {
    this.counters.blockBytes += length;
    if (reads) {
      // The compute thread reads it, checks it for zeros and hashes it.
      this.#batch.push({ index, buffer, length, reads });
      return;
    }
    const zero = this.o.clocks.proxy.time(() => isAllZero(buffer.subarray(0, length)));
    if (zero) return this.#zeroBlock(index, buffer, length);
    const job: BlockJob = { index, buffer, length };
    if (this.o.hashPlacement === 'main') {
      const id = this.o.clocks.proxy.time(() =>
        blockIdentity(buffer.subarray(0, length), this.o.target.keys.identityKey),
      );
      if (this.#dedup(index, buffer, length, id)) return;
      job.identity = id;
    }
    this.#batch.push(job);
  }

  #zeroBlock(index: number, buffer: Uint8Array, length: number): void {
    this.o.target.putZero(index);
    this.counters.zeroBlocks++;
    this.counters.zeroReadBlocks++;
    this.o.ring.release(buffer);
    this.#progress(length);
  }

  /** Books what the engine's threads read, and the blocks they found all zero. */
  #engineRead(r: Omit<EngineResult<unknown>, 'jobs' | 'computeMs'>): void {
    if (r.bytesRead === 0 && r.zeroJobs.length === 0) return;
    this.counters.readBytes += r.bytesRead;
    this.o.clocks.source.add(r.readMs / this.o.engine.computeThreads);
    for (const z of r.zeroJobs) this.#zeroBlock(z.index, z.buffer, z.length);
  }

  /** True (and the block is done) when the backup file already holds this identity. */
  #dedup(index: number, buffer: Uint8Array, length: number, identity: Uint8Array): boolean {
    if (!this.o.target.has(identity)) return false;
    this.o.target.putDuplicate(index, identity);
    this.counters.duplicateBlocks++;
    this.counters.duplicateBytes += length;
    this.#sawBlock(true);
    this.o.ring.release(buffer);
    this.#progress(length);
    return true;
  }

  #sawBlock(duplicate: boolean): void {
    this.#dupRate += ((duplicate ? 1 : 0) - this.#dupRate) * DUP_RATE_WEIGHT;
  }

  #hashesFirst(): boolean {
    const p = this.o.hashPlacement;
    return p === 'pool' || (p === 'auto' && this.#dupRate > AUTO_POOL_ABOVE);
  }

  #dispatch(): void {
    const batch = this.#batch;
    this.#batch = [];
    this.#inFlight++;
    const run = this.#hashesFirst() ? this.#hashThenSeal(batch) : this.#seal(batch);
    run
      .catch((err: unknown) => this.#fail(err))
      .finally(() => {
        this.#inFlight--;
        this.#wake();
      });
  }

  async #hashThenSeal(batch: BlockJob[]): Promise<void> {
    const hashed = await this.o.engine.hash(batch);
    this.o.clocks.proxy.add(hashed.computeMs);
    this.#engineRead(hashed);
    const fresh: BlockJob[] = [];
    this.o.clocks.network.time(() => {
      for (const h of hashed.jobs) {
        const length = batch.find((b) => b.index === h.index)?.length ?? 0;
        if (!this.#dedup(h.index, h.buffer, length, h.identity))
          fresh.push({ index: h.index, buffer: h.buffer, length, identity: h.identity });
      }
    });
    if (fresh.length > 0) await this.#seal(fresh);
  }

  async #seal(batch: BlockJob[]): Promise<void> {
    this.o.clocks.network.time(() => {
      for (const j of batch) {
        const nonce = this.o.target.keys.nextNonce();
        if (nonce) j.nonce = nonce;
      }
    });
    const result = await this.o.engine.seal(batch);
    this.o.clocks.proxy.add(result.computeMs);
    this.#engineRead(result);
    this.o.clocks.network.time(() => {
      for (const s of result.jobs) this.#store(s);
    });
  }

  #store(s: SealedJob): void {
    const { index, buffer, sealed } = s;
    if (this.#error) {
      this.o.ring.release(buffer);
      return;
    }
    // A block sealed while an equal one was in flight: the writer already has it.
    if (this.o.target.has(sealed.identity)) {
      this.o.target.putDuplicate(index, sealed.identity);
      this.counters.duplicateBlocks++;
      this.counters.duplicateBytes += sealed.rawLength;
      this.#sawBlock(true);
      this.o.ring.release(buffer);
      this.#progress(sealed.rawLength);
      return;
    }
    this.counters.storedBlocks++;
    this.counters.storedRawBytes += sealed.rawLength;
    this.#sawBlock(false);
    this.counters.transferredBytes += sealed.payload.length;
    const target = this.o.clocks.target;
    target.begin();
    const write = this.o.target.putBlob(index, sealed);
    this.#writes.add(write);
    write
      .then(
        () => this.#progress(sealed.rawLength),
        (err: unknown) => this.#fail(err),
      )
      .finally(() => {
        target.end();
        this.#writes.delete(write);
        this.o.ring.release(buffer);
        this.#wake();
      });
  }

  #progress(bytes: number): void {
    this.counters.doneBytes += bytes;
    this.o.onProgress?.(this.counters.doneBytes);
  }

  #fail(err: unknown): void {
    this.#error ??= err instanceof Error ? err : dmError('DM_ERR_INTERNAL', String(err));
    this.#wake();
  }

  #wake(): void {
    if (this.#waiting && (this.#inFlight < this.o.maxInFlight || this.#error)) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w();
    }
    if (this.#idle.length > 0 && this.#inFlight === 0 && this.#writes.size === 0)
      for (const done of this.#idle.splice(0)) done();
  }

  #whenIdle(): Promise<void> {
    if (this.#inFlight === 0 && this.#writes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
