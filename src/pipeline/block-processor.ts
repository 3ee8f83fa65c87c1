/**
 * The sink end of the pipeline: a Writable that takes read blocks and plan runs, drops zero blocks,
 * dedups by identity against the writer (the backup file's scope), sends the rest in batches to
 * the seal engine, and hands sealed blobs to the writer. Capacity is awaited: the write callback
 * is held while `maxInFlight` batches are out, and every buffer returns to the ring only when the
 * writer is done with it, so memory is bounded by the ring whatever the disk size.
 */
import { Writable } from 'node:stream';
import { dmError } from '../errors.js';
import type { IdentityFilter } from '../core/identity-filter.js';
import { blockIdentity } from '../compute/identity.js';
import { isAllZero } from '../compute/zero.js';
import type { StreamItem } from './block-reader.js';
import { newCounters, type BlockTarget, type ProcessorCounters } from './block-target.js';
import type { BufferRing } from './buffer-ring.js';
import { PlacementPolicy, type HashPlacement } from './hash-placement.js';
import type {
  BlockJob,
  BlockRef,
  EngineResult,
  HashedJob,
  ReadPaths,
  SealEngine,
  SealedJob,
} from './seal-engine.js';
import type { StageClocks } from './stats.js';

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
  /** Descriptors of the blocks' read maps, for the compute threads' error messages. */
  readonly readPaths?: ReadPaths;
  /** The engine's set of stored identities (SealConfig.known): every stored blob is added. */
  readonly known?: IdentityFilter;
  readonly onProgress?: (doneBytes: number) => void;
}

export class BlockProcessor extends Writable {
  readonly counters: ProcessorCounters = newCounters();
  #batch: BlockJob[] = [];
  #inFlight = 0;
  #writes = new Set<Promise<void>>();
  #waiting: (() => void) | undefined;
  #error: Error | undefined;
  #idle: (() => void)[] = [];
  readonly #placement: PlacementPolicy;

  constructor(private readonly o: ProcessorOptions) {
    super({ objectMode: true, highWaterMark: Math.max(1, o.batchSize) });
    this.#placement = new PlacementPolicy(o.hashPlacement, o.known !== undefined);
  }

  override _write(item: StreamItem, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#error) return callback(this.#error);
    try {
      const handover = this.o.clocks.handover;
      if (item.kind === 'read') {
        this.counters.readBytes += item.bytesRead;
        this.#onBlock(item.index, item.buffer, item.length, item.reads);
      } else handover.time(() => this.#onRun(item.kind, item.first, item.count));
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
    const zero = this.o.clocks.compute.time(() => isAllZero(buffer.subarray(0, length)));
    if (zero) return this.#zeroBlock(index, buffer, length);
    const job: BlockJob = { index, buffer, length };
    if (this.o.hashPlacement === 'main') {
      const id = this.o.clocks.compute.time(() =>
        blockIdentity(buffer.subarray(0, length), this.o.target.keys.identityKey),
      );
      if (this.#dedup(job, id)) return;
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
    this.o.clocks.sourceRead.add(r.readMs / this.o.engine.computeThreads);
    for (const z of r.zeroJobs) this.#zeroBlock(z.index, z.buffer, z.length);
  }

  /** True (and the block is done) when the backup file already holds this identity. */
  #dedup(block: BlockRef, identity: Uint8Array): boolean {
    if (!this.o.target.has(identity)) return false;
    this.#duplicate(block, identity);
    return true;
  }

  /** Hashed blocks the writer lacks, ready to seal with their identity; the rest are booked. */
  #unknown(hashed: readonly HashedJob[]): BlockJob[] {
    const fresh: BlockJob[] = [];
    for (const h of hashed) if (!this.#dedup(h, h.identity)) fresh.push({ ...h });
    return fresh;
  }

  #duplicate({ index, buffer, length }: BlockRef, identity: Uint8Array): void {
    this.o.target.putDuplicate(index, identity);
    this.counters.duplicateBlocks++;
    this.counters.duplicateBytes += length;
    this.#placement.saw(true);
    this.o.ring.release(buffer);
    this.#progress(length);
  }

  #dispatch(): void {
    const batch = this.#batch;
    this.#batch = [];
    this.#inFlight++;
    const run = this.#placement.hashesFirst() ? this.#hashThenSeal(batch) : this.#seal(batch);
    run
      .catch((err: unknown) => this.#fail(err))
      .finally(() => {
        this.#inFlight--;
        this.#wake();
      });
  }

  async #hashThenSeal(batch: BlockJob[]): Promise<void> {
    const hashed = await this.o.engine.hash(batch, this.o.readPaths);
    this.o.clocks.compute.add(hashed.computeMs);
    this.#engineRead(hashed);
    const fresh = this.o.clocks.handover.time(() => this.#unknown(hashed.jobs));
    if (fresh.length > 0) await this.#seal(fresh);
  }

  async #seal(batch: BlockJob[]): Promise<void> {
    this.o.clocks.handover.time(() => {
      for (const j of batch) {
        const nonce = this.o.target.keys.nextNonce();
        if (nonce) j.nonce = nonce;
      }
    });
    const result = await this.o.engine.seal(batch, this.o.readPaths);
    this.o.clocks.compute.add(result.computeMs);
    this.#engineRead(result);
    const again = this.o.clocks.handover.time(() => {
      for (const s of result.jobs) this.#store(s);
      // The threads found these in the identity set: duplicates, unless the writer lacks one (the
      // set is only a hint), which is sealed now with its identity.
      const known = result.knownJobs ?? [];
      const unknown = this.#unknown(known);
      this.counters.duplicatesBeforeSeal += known.length - unknown.length;
      return unknown;
    });
    if (again.length > 0) await this.#seal(again);
  }

  #store(s: SealedJob): void {
    const { index, buffer, sealed } = s;
    if (this.#error) {
      this.o.ring.release(buffer);
      return;
    }
    // A block sealed while an equal one was in flight: the writer already has it.
    if (this.#dedup({ index, buffer, length: sealed.rawLength }, sealed.identity)) return;
    this.counters.storedBlocks++;
    this.counters.storedRawBytes += sealed.rawLength;
    this.#placement.saw(false);
    this.counters.transferredBytes += sealed.payload.length;
    const writer = this.o.clocks.writer;
    writer.begin();
    const write = this.o.target.putBlob(index, sealed);
    this.o.known?.add(sealed.identity);
    this.#writes.add(write);
    write
      .then(
        () => this.#progress(sealed.rawLength),
        (err: unknown) => this.#fail(err),
      )
      .finally(() => {
        writer.end();
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
