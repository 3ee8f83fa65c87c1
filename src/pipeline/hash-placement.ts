/**
 * Where identity hashing runs (measured in bench/backup-raw-pipeline.ts), and the policy behind
 * `auto`:
 * - `fused`: one round trip hashes and seals; a duplicate found afterwards is discarded (its
 *   compression was wasted). Fewest messages; best on unique data.
 * - `main`: hash on the main thread, dedup, then seal only new blocks (identity passed along).
 * - `pool`: hash round trip to the workers, dedup, then a seal round trip for new blocks.
 * - `auto`: `fused` while duplicates are rare, `pool` while they are common (see AUTO_POOL_ABOVE);
 *   always `fused` when the engine's threads check an identity set (SealConfig.known), since they
 *   then skip sealing known blocks themselves and the hash round trip would buy nothing.
 */
export type HashPlacement = 'auto' | 'fused' | 'main' | 'pool';

/**
 * `auto` hashes first (`pool`) once more than this share of recent blocks were duplicates. A
 * duplicate sealed for nothing costs its compression and encryption (~1.5 ms per MiB at LZ4); the
 * hash round trip costs every block ~0.2 ms, so hashing first pays above roughly one duplicate in
 * eight (docs/decisions.md, "Hash placement").
 */
const AUTO_POOL_ABOVE = 0.12;
/** Weight of each block in the running duplicate share (~the last 32 blocks count). */
const DUP_RATE_WEIGHT = 1 / 32;

/** Decides, batch by batch, whether a batch is hashed before it is sealed. */
export class PlacementPolicy {
  /** Running share of duplicates among recent non-zero blocks. */
  #dupRate = 0;

  /** `threadsDedup`: the engine's threads skip sealing blocks the writer already holds. */
  constructor(
    readonly placement: HashPlacement,
    private readonly threadsDedup = false,
  ) {}

  /** Records one non-zero block's outcome: a duplicate, or stored as new. */
  saw(duplicate: boolean): void {
    this.#dupRate += ((duplicate ? 1 : 0) - this.#dupRate) * DUP_RATE_WEIGHT;
  }

  hashesFirst(): boolean {
    if (this.placement === 'pool') return true;
    return this.placement === 'auto' && !this.threadsDedup && this.#dupRate > AUTO_POOL_ABOVE;
  }
}
