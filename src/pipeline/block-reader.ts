/**
 * The source end of the pipeline: a Readable (objectMode; highWaterMark counted in blocks) that
 * walks the read plan in order and reads each planned block into a buffer from the ring, with up
 * to `concurrency` source reads in flight (a VHDX read is a BAT lookup plus a pread; overlapping
 * a few keeps the disk or page cache busy while the main thread dispatches). Items are pushed in
 * plan order. Runs of no-I/O blocks pass through as plan items. When every ring buffer is in
 * flight, `acquire` waits: that is the backpressure from the writer reaching the disk reads.
 */
import { Readable } from 'node:stream';
import type { PlanItem, ReadItem, RunItem } from '../plan/planner.js';
import type { DiskSource } from '../source/disk-source.js';
import type { BufferRing } from './buffer-ring.js';
import { ReadMapBuilder } from '../core/read-map.js';
import type { ReadMapper } from '../source/read-map.js';
import { rangesToRead, readKept } from './read-kept.js';
import type { BusyClock } from './stats.js';

/**
 * A planned block that has been read: its bytes are `buffer[0..length)`, filter ranges zeroed. With
 * `reads`, not yet: the compute thread runs that read map into the buffer (and bytesRead is 0).
 */
export interface ReadBlock extends ReadItem {
  readonly buffer: Uint8Array;
  /** Bytes actually read from the source (less than `length` when large zero ranges were skipped). */
  readonly bytesRead: number;
  readonly reads?: Float64Array;
}

export type StreamItem = ReadBlock | RunItem;

export class BlockReader extends Readable {
  readonly #plan: Iterator<PlanItem>;
  readonly #pending: Promise<StreamItem>[] = [];
  readonly #builder = new ReadMapBuilder();
  #planDone = false;
  #pumping = false;

  constructor(
    private readonly source: DiskSource,
    plan: Iterable<PlanItem>,
    private readonly ring: BufferRing,
    private readonly clock: BusyClock,
    highWaterMark: number,
    private readonly concurrency = 1,
    /** When given, blocks are mapped (not read) here and read by the compute threads. */
    private readonly mapper?: ReadMapper,
  ) {
    super({ objectMode: true, highWaterMark });
    this.#plan = plan[Symbol.iterator]();
  }

  override _read(): void {
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (;;) {
        this.#fill();
        const head = this.#pending.shift();
        if (!head) {
          this.push(null);
          return;
        }
        const item = await head;
        if (this.destroyed) return;
        if (!this.push(item)) return; // resumed by the next _read
      }
    } catch (err) {
      this.destroy(err as Error);
    } finally {
      this.#pumping = false;
    }
  }

  /** Starts reads until `concurrency` are in flight (run items cost nothing and do not count). */
  #fill(): void {
    while (!this.#planDone && this.#pending.length < this.concurrency) {
      const step = this.#plan.next();
      if (step.done) {
        this.#planDone = true;
        return;
      }
      const item = step.value;
      const p = item.kind === 'read' ? this.#readBlock(item) : Promise.resolve(item);
      p.catch(() => undefined); // surfaced when it reaches the head; no unhandled rejection meanwhile
      this.#pending.push(p);
      if (item.kind !== 'read') return; // hand runs on promptly; they hold no buffer
    }
  }

  /** The read map of a block: the kept ranges' bytes, then every zero range zeroed (as readKept). */
  #mapBlock(item: ReadItem): Float64Array {
    const mapper = this.mapper!;
    const b = this.#builder;
    if (!item.zero || item.zero.length === 0) mapper.map(item.offset, item.length, 0, b);
    else {
      for (const p of rangesToRead(item.length, item.zero))
        mapper.map(item.offset + p.offset, p.length, p.offset, b);
      for (const z of item.zero) b.zero(Math.min(z.length, item.length - z.offset), z.offset);
    }
    return b.take();
  }

  async #readBlock(item: ReadItem): Promise<ReadBlock> {
    const buffer = await this.ring.acquire(); // FIFO: buffers are granted in plan order
    try {
      if (this.mapper) return { ...item, buffer, bytesRead: 0, reads: this.#mapBlock(item) };
      this.clock.begin();
      try {
        return { ...item, buffer, bytesRead: await readKept(this.source, buffer, item) };
      } finally {
        this.clock.end();
      }
    } catch (err) {
      this.ring.release(buffer); // a failed block's buffer goes back: the ring stays whole
      throw err;
    }
  }
}
