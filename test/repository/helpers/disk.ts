/**
 * Synthetic disks for repository tests: a seeded mix of zero blocks, duplicates, compressible text,
 * incompressible random bytes and runs, with an odd-sized last block when asked.
 */
import { createCipheriv, createHash } from 'node:crypto';

/** Deterministic pseudo-random bytes: AES-128-CTR keystream under a key derived from the seed. */
export function prng(seed: number, length: number): Buffer {
  const key = createHash('sha256').update(`seed:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

export type BlockKind = 'zero' | 'random' | 'text' | 'dup' | 'runs';

export function makeDisk(seed: number, blockSize: number, blocks: number, oddTail = 0): Buffer {
  const size = blocks * blockSize + oddTail;
  const disk = Buffer.alloc(size);
  const kinds: BlockKind[] = ['zero', 'random', 'text', 'dup', 'runs'];
  const rnd = prng(seed * 7919, blocks + 1);
  const n = Math.ceil(size / blockSize);
  for (let b = 0; b < n; b++) {
    const at = b * blockSize;
    const len = Math.min(blockSize, size - at);
    const kind = b === 0 ? 'random' : kinds[rnd[b]! % kinds.length]!;
    const target = disk.subarray(at, at + len);
    if (kind === 'random') prng(seed * 1000 + b, len).copy(target);
    else if (kind === 'text') target.fill(`block ${b} of seed ${seed}: the quick brown fox. `);
    else if (kind === 'dup' && len === blockSize) disk.copy(target, 0, 0, blockSize);
    else if (kind === 'runs')
      for (let i = 0; i < len; i += 4096) target.fill(i % 251, i, Math.min(len, i + 1024));
  }
  return disk;
}
