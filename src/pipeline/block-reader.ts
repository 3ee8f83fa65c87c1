/**
 * The source end of the pipeline: a Readable (objectMode; highWaterMark counted in blocks) that
 * walks the read plan in order and reads each planned block into a buffer from the ring. Runs of
 * no-I/O blocks pass through as plan items. When every ring buffer is in flight, `acquire` waits:
 * that is the backpressure from the writer reaching the disk reads.
 */
import { Readable } from 'node:stream';
import type { PlanItem, ReadItem, RunItem } from '../plan/planner.js';
import type { DiskSource } from '../source/disk-source.js';
import type { BufferRing } from './buffer-ring.js';
import type { BusyClock } from './stats.js';

/** A planned block that has been read: its bytes are `buffer[0..length)`, filter ranges zeroed. */
export interface ReadBlock extends ReadItem {
  readonly buffer: Uint8Array;
}

export type StreamItem = ReadBlock | RunItem;

export class BlockReader extends Readable {
  readonly #plan: Iterator<PlanItem>;

  constructor(
    private readonly source: DiskSource,
    plan: Iterable<PlanItem>,
    private readonly ring: BufferRing,
    private readonly clock: BusyClock,
    highWaterMark: number,
  ) {
    super({ objectMode: true, highWaterMark });
    this.#plan = plan[Symbol.iterator]();
  }

  override _read(): void {
    void this.#next().catch((err: unknown) => this.destroy(err as Error));
  }

  async #next(): Promise<void> {
    const step = this.#plan.next();
    if (step.done) {
      this.push(null);
      return;
    }
    const item = step.value;
    if (item.kind !== 'read') {
      this.push(item);
      return;
    }
    const buffer = await this.ring.acquire();
    if (this.destroyed) return; // aborted meanwhile; the ring is dropped with the job
    this.clock.begin();
    try {
      await this.source.read(buffer, item.offset, item.length, 0);
    } finally {
      this.clock.end();
    }
    if (item.zero) for (const z of item.zero) buffer.fill(0, z.offset, z.offset + z.length);
    this.push({ ...item, buffer } satisfies ReadBlock);
  }
}
