/**
 * A fixed set of reusable block buffers (performance-notes: a fresh ArrayBuffer per block moved to
 * a worker blew RSS to 2.3 GB, because the worker's GC cannot see the main thread's pressure).
 *
 * Each slot owns ONE ArrayBuffer holding the input (`data`) and the worker's output (`out`), each
 * maxPayloadBytes(blockBytes) long so that either can hold a block or its stored payload (restore
 * sends payloads in `data` and gets blocks in `out`). A block costs one transfer each way. While a slot is in
 * a worker its views are detached (length 0); BlockPool re-attaches the returned views before the
 * batch's promise settles. Memory is count × 2 × (blockBytes + 16), allocated once.
 */
import { dmError } from '../errors.js';
import { maxPayloadBytes } from '../compute/seal.js';

export interface BlockSlot {
  /** Full-capacity view of the block area; the block is `data.subarray(0, length)`. */
  data: Uint8Array;
  /** Valid bytes in `data`. */
  length: number;
  /** Full-capacity view of the output area (sealed payload lands at its start). */
  out: Uint8Array;
}

export class BufferRing {
  readonly blockBytes: number;
  readonly size: number;
  readonly #free: BlockSlot[] = [];
  readonly #all = new Set<BlockSlot>();

  constructor(count: number, blockBytes: number) {
    if (!Number.isInteger(count) || count < 1) {
      throw dmError('DM_ERR_ARG_INVALID', `buffer ring needs at least one slot, got ${count}`);
    }
    if (!Number.isInteger(blockBytes) || blockBytes < 1) {
      throw dmError('DM_ERR_ARG_INVALID', `block size must be a positive integer, got ${blockBytes}`);
    }
    this.blockBytes = blockBytes;
    this.size = count;
    const outBytes = maxPayloadBytes(blockBytes);
    for (let i = 0; i < count; i++) {
      const buf = new ArrayBuffer(2 * outBytes);
      const slot: BlockSlot = {
        data: new Uint8Array(buf, 0, outBytes),
        length: 0,
        out: new Uint8Array(buf, outBytes, outBytes),
      };
      this.#free.push(slot);
      this.#all.add(slot);
    }
  }

  /** Free slots right now. */
  get available(): number {
    return this.#free.length;
  }

  /** A free slot, or undefined when all are in use (wait for a release). */
  acquire(): BlockSlot | undefined {
    const slot = this.#free.pop();
    if (slot) slot.length = 0;
    return slot;
  }

  release(slot: BlockSlot): void {
    if (!this.#all.has(slot)) throw dmError('DM_ERR_INTERNAL', 'slot does not belong to this ring');
    if (slot.data.byteLength === 0)
      throw dmError('DM_ERR_INTERNAL', 'slot released while its buffer is in a worker');
    if (this.#free.includes(slot)) throw dmError('DM_ERR_INTERNAL', 'slot released twice');
    this.#free.push(slot);
  }
}
