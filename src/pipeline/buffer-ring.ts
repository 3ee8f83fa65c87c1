/**
 * A bounded ring of recycled block buffers: the pipeline's memory is `count × size` bytes no matter
 * how large the disk is, and no block ever allocates. Buffers are whole `ArrayBuffer`s (never the
 * pooled Buffer slab, which cannot be transferred), so they can move to a worker thread and back;
 * a buffer that comes back is a new JS object over the same memory, and `release` accepts it.
 */
import { dmError } from '../errors.js';

export class BufferRing {
  readonly #free: Uint8Array[] = [];
  readonly #waiters: ((buf: Uint8Array) => void)[] = [];
  #allocated = 0;
  #outstanding = 0;
  #peakOutstanding = 0;

  constructor(
    readonly count: number,
    readonly size: number,
  ) {
    if (!Number.isInteger(count) || count < 1) throw dmError('DM_ERR_INTERNAL', `ring count ${count} < 1`);
  }

  /** Buffers currently handed out (taken and not yet released). */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Callers waiting for a buffer (the processor flushes a partial batch when someone waits). */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** The most buffers ever handed out at once (a leak shows up as count here, and a hang). */
  get peakOutstanding(): number {
    return this.#peakOutstanding;
  }

  /** A buffer now if one is free (allocating lazily up to `count`), else undefined. */
  tryAcquire(): Uint8Array | undefined {
    let buf = this.#free.pop();
    if (!buf && this.#allocated < this.count) {
      this.#allocated++;
      buf = new Uint8Array(new ArrayBuffer(this.size));
    }
    if (buf) this.#took();
    return buf;
  }

  /** Waits until a buffer is free: the reader's backpressure when every block is still in flight. */
  acquire(): Promise<Uint8Array> {
    const buf = this.tryAcquire();
    if (buf) return Promise.resolve(buf);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Returns a buffer (the same memory, possibly a new object after a worker round trip). */
  release(buf: Uint8Array): void {
    if (buf.buffer.byteLength !== this.size || buf.byteOffset !== 0)
      throw dmError(
        'DM_ERR_INTERNAL',
        `released buffer of ${buf.buffer.byteLength} bytes; ring holds ${this.size}`,
      );
    if (this.#outstanding <= 0) throw dmError('DM_ERR_INTERNAL', 'buffer released twice');
    const whole = buf.byteLength === this.size ? buf : new Uint8Array(buf.buffer);
    const waiter = this.#waiters.shift();
    if (waiter) waiter(whole);
    else {
      this.#outstanding--;
      this.#free.push(whole);
    }
  }

  #took(): void {
    this.#outstanding++;
    if (this.#outstanding > this.#peakOutstanding) this.#peakOutstanding = this.#outstanding;
  }
}
