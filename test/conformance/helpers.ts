/**
 * Shared bits of the conformance tests: reading a whole DiskSource, comparing allocation maps on a
 * fixed grid, a seeded PRNG, and running qemu tools. Kept here so each test file stays one job.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiskSource, Extent, ExtentKind } from '../../src/source/disk-source.js';

export const MiB = 1024 * 1024;
/** Read granularity for whole-disk scans: big enough to be fast, small enough for 2 shared cores. */
const CHUNK = 4 * MiB;

/** sha256 (hex) of the whole virtual disk, read through the source in CHUNK-sized positional reads. */
export async function sourceSha256(src: DiskSource): Promise<string> {
  const hash = createHash('sha256');
  const buf = new Uint8Array(CHUNK);
  for (let off = 0; off < src.virtualSize; off += CHUNK) {
    const len = Math.min(CHUNK, src.virtualSize - off);
    await src.read(buf, off, len, 0);
    hash.update(buf.subarray(0, len));
  }
  return hash.digest('hex');
}

/** The whole virtual disk as one buffer (small images only). */
export async function readAll(src: DiskSource): Promise<Buffer> {
  const out = Buffer.alloc(src.virtualSize);
  for (let off = 0; off < src.virtualSize; off += CHUNK) {
    await src.read(out, off, Math.min(CHUNK, src.virtualSize - off), off);
  }
  return out;
}

/** First differing byte offset of two buffers, or -1 when equal (for readable failure messages). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * Checks the DiskSource extents() contract over [0, size): ascending, contiguous, non-empty, adjacent
 * extents of one kind coalesced, covering exactly. Returns a list of problems (empty = fine).
 */
export function extentContractProblems(extents: readonly Extent[], start: number, size: number): string[] {
  const problems: string[] = [];
  let pos = start;
  let prev: ExtentKind | undefined;
  for (const e of extents) {
    if (e.offset !== pos) problems.push(`extent at ${e.offset}, expected ${pos}`);
    if (e.length <= 0) problems.push(`empty extent at ${e.offset}`);
    if (prev === e.kind) problems.push(`adjacent ${e.kind} extents not coalesced at ${e.offset}`);
    prev = e.kind;
    pos = e.offset + e.length;
  }
  if (pos !== start + size) problems.push(`extents end at ${pos}, expected ${start + size}`);
  return problems;
}

/**
 * One kind per `grain`-sized cell of [0, size): 'present' wins over 'zero' over 'absent' when a cell
 * mixes kinds, so a finer-grained map classifies the same as a coarser one on block boundaries.
 */
export function classify(extents: Iterable<Extent>, size: number, grain: number): ExtentKind[] {
  const rank: Record<ExtentKind, number> = { absent: 0, zero: 1, present: 2 };
  const cells = new Array<ExtentKind>(Math.ceil(size / grain)).fill('absent');
  const seen = new Uint8Array(cells.length);
  for (const e of extents) {
    const end = Math.min(e.offset + e.length, size);
    for (let c = Math.floor(e.offset / grain); c * grain < end; c++) {
      const cur = cells[c] as ExtentKind;
      if (!seen[c] || rank[e.kind] > rank[cur]) cells[c] = e.kind;
      seen[c] = 1;
    }
  }
  return cells;
}

/** Run-length summary of differing cells, e.g. "[0x100000..0x200000) ours=zero want=present". */
export function cellDiffs<T extends string>(
  ours: readonly T[],
  want: readonly T[],
  grain: number,
  max = 8,
): string[] {
  const out: string[] = [];
  for (let c = 0; c < want.length && out.length < max; c++) {
    if (ours[c] === want[c]) continue;
    let d = c;
    while (d + 1 < want.length && ours[d + 1] === ours[c] && want[d + 1] === want[c]) d++;
    out.push(
      `[0x${(c * grain).toString(16)}..0x${((d + 1) * grain).toString(16)}) ours=${ours[c]} want=${want[c]}`,
    );
    c = d;
  }
  return out;
}

/** mulberry32: a tiny seeded PRNG, so every random case is reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi]. */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Deterministic pseudo-random bytes from a PRNG (for pattern files and raw sources). */
export function randBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) {
    const v = Math.floor(rand() * 4294967296);
    for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (v >>> (8 * j)) & 0xff;
  }
  return b;
}

/** Runs a tool, returning stdout; a non-zero exit throws with the tool's stderr in the message. */
export function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; status?: number };
    throw new Error(`${cmd} ${args.join(' ')} exited ${e.status}: ${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** A scratch directory under os.tmpdir(), and its remover for afterAll. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
