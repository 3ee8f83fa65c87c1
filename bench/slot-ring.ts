/**
 * A fixed set of reusable BlockSlots for bench/pool-throughput.ts, which drives BlockPool directly
 * (the backup pipeline makes its slots over its own BufferRing, src/pipeline/buffer-ring.ts).
 * Each slot is one ArrayBuffer: `data` and `out`, each a block plus a GCM tag long.
 */
import { TAG_BYTES } from '../src/core/blob.js';
import type { BlockSlot } from '../src/workers/block-slot.js';

export class SlotRing {
  readonly #free: BlockSlot[] = [];

  constructor(count: number, blockBytes: number) {
    const outBytes = blockBytes + TAG_BYTES;
    for (let i = 0; i < count; i++) {
      const buf = new ArrayBuffer(2 * outBytes);
      this.#free.push({
        data: new Uint8Array(buf, 0, outBytes),
        length: 0,
        out: new Uint8Array(buf, outBytes),
      });
    }
  }

  /** A free slot, or undefined when all are in use (wait for a release). */
  acquire(): BlockSlot | undefined {
    const slot = this.#free.pop();
    if (slot) slot.length = 0;
    return slot;
  }

  /** Returns a slot once its batch settled (its views re-attached). */
  release(slot: BlockSlot): void {
    if (slot.data.byteLength === 0) throw new Error('slot released while its buffer is in a worker');
    this.#free.push(slot);
  }
}
