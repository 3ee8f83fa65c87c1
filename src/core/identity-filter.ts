/**
 * A set of block identities in shared memory: the main thread adds the identities the backup file
 * holds (its index at the start, then every blob it stores); compute threads look a freshly hashed
 * block up and skip compressing and encrypting it when the set has it. The set is a hint, never the
 * decision: the main thread confirms every hit with the writer's own index (and seals the block if
 * the index lacks it), and a block the set misses is sealed and deduplicated afterwards, as without
 * the set.
 *
 * Layout: open addressing over `capacity` (a power of two) slots of four int32 words: the first 16
 * bytes of the identity, the first word with its low bit set (0 marks an empty slot). One writer
 * (the main thread); it fills words 1–3, then publishes word 0 with Atomics.store, and readers
 * load word 0 with Atomics.load, so a reader that sees the tag sees the whole key. Adding stops at
 * half the capacity (probes stay short, empty slots always end a probe): the set is best effort.
 * The 128-bit prefix of a 256-bit cryptographic hash stands for the identity; a prefix match is
 * only ever a hint that the writer's index confirms.
 */
import { dmError } from '../errors.js';
import { IDENTITY_BYTES } from './blob.js';

const WORDS_PER_SLOT = 4;
const MIN_SLOTS = 1 << 10;
/** 16 MiB of shared memory: ~500 K identities, 500 GiB of unique data at 1 MiB blocks. */
const MAX_SLOTS = 1 << 20;

function word(id: Uint8Array, at: number): number {
  return id[at]! | (id[at + 1]! << 8) | (id[at + 2]! << 16) | (id[at + 3]! << 24) | 0;
}

export class IdentityFilter {
  readonly #words: Int32Array;
  readonly #mask: number;
  #count = 0;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
    this.#mask = this.#words.length / WORDS_PER_SLOT - 1;
  }

  /** A set sized for about `expected` identities (within its memory bounds). */
  static create(expected: number): IdentityFilter {
    let slots = MIN_SLOTS;
    while (slots < 2 * expected && slots < MAX_SLOTS) slots *= 2;
    return new IdentityFilter(new SharedArrayBuffer(slots * WORDS_PER_SLOT * 4));
  }

  /** The set another thread created (its `buffer`). */
  static over(buffer: SharedArrayBuffer): IdentityFilter {
    return new IdentityFilter(buffer);
  }

  get capacity(): number {
    return this.#mask + 1;
  }

  /** Identities added (the writer's view; readers in other threads do not track it). */
  get size(): number {
    return this.#count;
  }

  /** Adds `identity`; false when the set is full (at half its capacity) and it was not added. */
  add(identity: Uint8Array): boolean {
    checkIdentity(identity);
    const at = this.#probe(identity);
    if (at < 0) return true; // already there
    if (2 * (this.#count + 1) > this.capacity) return false;
    const w = this.#words;
    w[at + 1] = word(identity, 4);
    w[at + 2] = word(identity, 8);
    w[at + 3] = word(identity, 12);
    Atomics.store(w, at, word(identity, 0) | 1);
    this.#count++;
    return true;
  }

  /** True when `identity` (its 128-bit prefix) was added; safe from any thread. */
  mayContain(identity: Uint8Array): boolean {
    return this.#probe(identity) < 0;
  }

  /**
   * -1 when the identity is in the set, else the word index of the empty slot that ends its probe
   * (where add() puts it). Half the slots at most are used, so a probe always ends.
   */
  #probe(identity: Uint8Array): number {
    const w = this.#words;
    const tag = word(identity, 0) | 1;
    const w1 = word(identity, 4);
    const w2 = word(identity, 8);
    const w3 = word(identity, 12);
    for (let slot = (tag >>> 1) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const at = slot * WORDS_PER_SLOT;
      const t = Atomics.load(w, at);
      if (t === 0) return at;
      if (t === tag && w[at + 1] === w1 && w[at + 2] === w2 && w[at + 3] === w3) return -1;
    }
  }
}

function checkIdentity(identity: Uint8Array): void {
  if (identity.length !== IDENTITY_BYTES)
    throw dmError('DM_ERR_INTERNAL', `an identity has ${IDENTITY_BYTES} bytes, got ${identity.length}`);
}
