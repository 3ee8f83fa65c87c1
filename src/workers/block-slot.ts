/**
 * A block's buffers on their way to a worker thread and back (BlockPool, pool.ts).
 *
 * `data` (the input) and `out` (the worker's output) are views of ONE ArrayBuffer, each long
 * enough for a block or its stored payload (block + GCM tag), so a block costs one transfer each
 * way; the backup pipeline passes one view of its ring buffer as both (sealed in place,
 * src/pipeline/pool-engine.ts over src/pipeline/buffer-ring.ts). While a slot is in a worker its
 * views are detached (length 0); BlockPool re-attaches the returned views before the batch's
 * promise settles.
 */
export interface BlockSlot {
  /** Full-capacity view of the block area; the block is `data.subarray(0, length)`. */
  data: Uint8Array;
  /** Valid bytes in `data`. */
  length: number;
  /** Full-capacity view of the output area (sealed payload lands at its start). */
  out: Uint8Array;
}
