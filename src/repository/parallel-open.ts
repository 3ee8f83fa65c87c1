/**
 * Opens frames on the worker threads (workers/pool.ts `open` op: decrypt → decompress → re-hash),
 * so restore and verify use every core. The main thread keeps the cheap checks (header and frame
 * CRC, identity match) and copies each payload into a recycled slot (BufferRing); results come back
 * in the same slots, are handed to `onBlock`, and the slot is reused once that resolves.
 * A failed batch is re-opened frame by frame on the main thread so each problem names its frame.
 */
import { IDENTITY_BYTES, NONCE_BYTES } from '../core/blob.js';
import { BufferRing } from '../workers/buffer-ring.js';
import type { BlockSlot } from '../workers/buffer-ring.js';
import { availableParallelism } from 'node:os';
import { BlockPool } from '../workers/pool.js';
import { openFrame } from './blob-open.js';
import type { FrameKeys } from './blob-open.js';
import type { Frame } from './pack-reader.js';

interface Pending {
  readonly frame: Frame;
  readonly slot: BlockSlot;
  readonly done: (raw: Uint8Array) => void | Promise<void>;
  readonly fail: (err: unknown) => void;
}

export class ParallelOpener {
  readonly #ring: BufferRing;
  #batch: Pending[] = [];
  #keys: FrameKeys | undefined;
  #running = new Set<Promise<void>>();
  #waiters: (() => void)[] = [];

  constructor(
    private readonly pool: BlockPool,
    readonly maxBlock: number,
    private readonly file: () => string,
  ) {
    this.#ring = new BufferRing((pool.maxInFlight + 1) * pool.batchSize, maxBlock);
  }

  /** Queues one frame (CRC already checked by the caller). Resolves when it is accepted, not decoded. */
  async push(
    frame: Frame,
    keys: FrameKeys,
    done: (raw: Uint8Array) => void | Promise<void>,
    fail: (err: unknown) => void,
  ): Promise<void> {
    if (this.#keys !== keys) await this.#submit();
    this.#keys = keys;
    let slot = this.#ring.acquire();
    while (!slot) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
      slot = this.#ring.acquire();
    }
    slot.data.set(frame.payload, 0);
    slot.length = frame.payload.length;
    this.#batch.push({ frame, slot, done, fail });
    if (this.#batch.length >= this.pool.batchSize) await this.#submit();
  }

  /** Submits the partial batch and waits for everything queued. */
  async flush(): Promise<void> {
    await this.#submit();
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  /** Frames that fit a slot can go to the workers; others are opened on the main thread. */
  fits(frame: Frame): boolean {
    return frame.header.rawLength <= this.maxBlock && frame.payload.length <= this.#ring.blockBytes + 16;
  }

  async #submit(): Promise<void> {
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const keys = this.#keys!;
    await this.pool.whenCanSubmit();
    const n = batch.length;
    const identities = new Uint8Array(n * IDENTITY_BYTES);
    const nonces = keys.blobKey ? new Uint8Array(n * NONCE_BYTES) : undefined;
    batch.forEach((p, i) => {
      identities.set(p.frame.header.identity, i * IDENTITY_BYTES);
      if (nonces && p.frame.header.nonce) nonces.set(p.frame.header.nonce, i * NONCE_BYTES);
    });
    const run = this.pool
      .submit({
        op: 'open',
        slots: batch.map((p) => p.slot),
        identities,
        codecs: Uint8Array.from(batch, (p) => p.frame.header.codec),
        rawLengths: Uint32Array.from(batch, (p) => p.frame.header.rawLength),
        ...(keys.blobKey ? { blobKey: keys.blobKey, nonces } : {}),
        ...(keys.identityKey ? { identityKey: keys.identityKey } : {}),
      })
      .then(
        async (res) => {
          for (const [i, p] of batch.entries()) await p.done(p.slot.out.subarray(0, res.payloadLengths[i]));
        },
        async () => {
          // Attribute the failure: re-open each frame here (its payload is still in its slot).
          for (const p of batch) {
            const frame = { ...p.frame, payload: p.slot.data.subarray(0, p.slot.length) };
            let raw: Uint8Array;
            try {
              raw = openFrame(frame, keys, this.file(), { full: true });
            } catch (err) {
              p.fail(err);
              continue;
            }
            await p.done(raw);
          }
        },
      )
      .catch((err: unknown) => batch.forEach((p) => p.fail(err)))
      .finally(() => {
        for (const p of batch) this.#ring.release(p.slot);
        this.#running.delete(run);
        this.#waiters.splice(0).forEach((w) => w());
      });
    this.#running.add(run);
  }
}

export interface DecodeOptions {
  /**
   * Worker threads; default 0 = main thread only. Opt-in because on the shared 2-core build
   * machines the pool measured slower (bench/restore-verify.ts --threads 2: it adds a payload copy
   * per frame, and its `open` op always re-hashes); worth it on idle multi-core hosts.
   */
  readonly threads?: number;
  /** A running pool to use (and leave running), e.g. the pipeline's; overrides `threads`. */
  readonly pool?: BlockPool;
}

/** The pool to decode on, and whether this operation owns (and must close) it. */
export function choosePool(o: DecodeOptions): { pool: BlockPool | undefined; owned: boolean } {
  if (o.pool) return { pool: o.pool, owned: false };
  const n = Math.min(o.threads ?? 0, availableParallelism() * 2);
  return { pool: n > 0 ? new BlockPool({ threads: n }) : undefined, owned: true };
}
