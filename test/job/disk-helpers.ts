/** Random test disks for round trips: zero runs, duplicate blocks, incompressible and text regions. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createVhdx } from '../../src/source/vhdx/writer/vhdx-writer.js';

export type SegmentKind = 'zero' | 'random' | 'text' | 'repeat';

export interface Segment {
  readonly kind: SegmentKind;
  readonly length: number;
  readonly seed: number;
}

function text(out: Uint8Array, seed: number): void {
  const words = ['backup', 'volume', 'ntfs', 'cluster', 'sector', 'block', 'repo', 'chain', '\n', ' '];
  let x = seed >>> 0 || 1;
  let i = 0;
  while (i < out.length) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const w = words[x % words.length]!;
    for (let k = 0; k < w.length && i < out.length; k++) out[i++] = w.charCodeAt(k);
  }
}

/**
 * Builds disk bytes from segments. `repeat` copies an earlier aligned block (a duplicate block when
 * the copy starts on a block boundary), so dedup is exercised; `size` is padded/cut exactly.
 */
export function buildDisk(segments: readonly Segment[], size: number, blockSize: number): Uint8Array {
  const disk = new Uint8Array(size);
  let at = 0;
  for (const s of segments) {
    if (at >= size) break;
    const len = Math.min(s.length, size - at);
    const part = disk.subarray(at, at + len);
    if (s.kind === 'random') part.set(randomBytes(len));
    else if (s.kind === 'text') text(part, s.seed);
    else if (s.kind === 'repeat' && at >= blockSize) {
      const from = (s.seed % Math.floor(at / blockSize)) * blockSize;
      // Align the copy to the grid so whole blocks repeat.
      const dst = Math.ceil(at / blockSize) * blockSize;
      const n = Math.min(blockSize, size - dst);
      if (n > 0) disk.copyWithin(dst, from, from + n);
      at = dst + Math.max(n, 0);
      continue;
    }
    at += len;
  }
  return disk;
}

export function segmentsArb(maxSegment: number): fc.Arbitrary<Segment[]> {
  return fc.array(
    fc.record({
      kind: fc.constantFrom<SegmentKind>('zero', 'random', 'text', 'repeat'),
      length: fc.integer({ min: 1, max: maxSegment }),
      seed: fc.nat(),
    }),
    { minLength: 1, maxLength: 10 },
  );
}

export async function tempDir(prefix = 'dm-job-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `disk` as a raw file, or as a dynamic VHDX with only non-zero 1 MiB blocks allocated. */
export async function writeImage(path: string, disk: Uint8Array, format: 'raw' | 'vhdx'): Promise<void> {
  if (format === 'raw') return writeFile(path, disk);
  const w = await createVhdx(path, { virtualSize: disk.length, blockSize: 1024 * 1024 });
  const step = 1024 * 1024;
  for (let at = 0; at < disk.length; at += step) {
    const piece = disk.subarray(at, Math.min(at + step, disk.length));
    if (piece.some((b) => b !== 0)) await w.write(piece, at);
  }
  await w.close();
}

export async function sameBytes(path: string, expected: Uint8Array): Promise<boolean> {
  const got = new Uint8Array(await readFile(path));
  return got.length === expected.length && Buffer.compare(got, expected) === 0;
}
