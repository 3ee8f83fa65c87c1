/** Shared by the VHDX writer and round-trip tests: scratch dirs, deterministic data, raw mirrors. */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const MiB = 1024 * 1024;

export function scratchDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `dm-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Non-zero bytes that depend on the seed and the absolute disk offset (cheap, no RNG state). */
export function patternBytes(seed: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const x = Math.imul((offset + i) ^ seed, 0x9e3779b1) >>> 24;
    out[i] = x === 0 ? 1 : x;
  }
  return out;
}

export interface WriteOp {
  readonly offset: number;
  readonly data: Uint8Array;
}

/** Writes `ops` at their offsets into a sparse raw file of `size` bytes (the expected content). */
export async function writeRawMirror(file: string, size: number, ops: readonly WriteOp[]): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.truncate(size);
    for (const op of ops) await fh.write(op.data, 0, op.data.length, op.offset);
  } finally {
    await fh.close();
  }
}

/** Deterministic shuffle (xorshift) so writes arrive out of order, reproducibly. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
