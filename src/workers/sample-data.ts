/**
 * Synthetic 1 MiB-ish blocks for benchmarks (stage-bench, bench/pool-throughput): three kinds.
 * - mixed: guest-like; 4 KiB pages alternating text-like (compressible ~3:1 with LZ4) and random,
 *   the way a used NTFS volume interleaves documents, binaries and already-compressed files.
 * - random: incompressible (media, encrypted or compressed files).
 * - zero: never-written space inside allocated blocks.
 */
import { randomFillSync } from 'node:crypto';

export type DataKind = 'mixed' | 'random' | 'zero';
export const DATA_KINDS: readonly DataKind[] = ['mixed', 'random', 'zero'];

const PAGE = 4096;
const WORDS = [
  'backup',
  'volume',
  'ntfs',
  'cluster',
  'C:\\Windows\\System32\\',
  'the ',
  'and ',
  '0x7ff',
  '\r\n',
  ' ',
];

/** Fills `out` with text-like bytes from a small vocabulary (deterministic for a seed). */
export function fillTextLike(out: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  let i = 0;
  while (i < out.length) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const w = WORDS[x % WORDS.length]!;
    for (let k = 0; k < w.length && i < out.length; k++) out[i++] = w.charCodeAt(k);
    if ((x & 0x700) === 0 && i < out.length) out[i++] = 0x30 + ((x >>> 12) % 10); // digits add entropy
  }
}

/** Fills `out` with data of `kind`; `seed` makes mixed blocks distinct. */
export function fillBlock(out: Uint8Array, kind: DataKind, seed = 1): Uint8Array {
  if (kind === 'zero') out.fill(0);
  else if (kind === 'random') randomFillSync(out);
  else {
    for (let p = 0; p < out.length; p += PAGE) {
      const page = out.subarray(p, Math.min(p + PAGE, out.length));
      if ((p / PAGE) % 2 === 0) fillTextLike(page, seed * 7919 + p);
      else randomFillSync(page);
    }
  }
  return out;
}

export function makeBlock(kind: DataKind, bytes: number, seed = 1): Uint8Array {
  return fillBlock(new Uint8Array(bytes), kind, seed);
}
