/**
 * Sequential read throughput of the VHDX reader through the DiskSource interface.
 *
 *   node --import tsx bench/read-throughput.ts [--size-mib 1024] [--block-size 32M] [--passes 7] [--keep] [--json]
 *
 * Makes a dynamic VHDX with non-zero data in every block (qemu-img convert from a raw file of
 * pseudo-random bytes), warms the page cache, then reads it in 1 MiB pieces into one reused buffer:
 * GB/s (median of the passes) for async and sync I/O, the raw file read the same way for comparison,
 * and heap/ArrayBuffer bytes allocated per 1 MiB block. `--json` prints one JSON document instead
 * (read by `npm run bench:report`).
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DiskSource } from '../src/source/disk-source.js';
import { openRaw } from '../src/source/raw-image.js';
import { openVhdx } from '../src/source/vhdx/reader/vhdx-source.js';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const sizeMiB = Number(arg('size-mib', '1024'));
const blockSize = arg('block-size', '32M');
const passes = Number(arg('passes', '7'));
const keep = args.includes('--keep');
const json = args.includes('--json');
const log = (line: string): void => {
  if (!json) console.log(line);
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function makeImages(dir: string): { raw: string; vhdx: string } {
  const raw = path.join(dir, 'data.raw');
  const vhdx = path.join(dir, 'data.vhdx');
  const chunk = new Uint8Array(MiB);
  randomFillSync(chunk);
  const fd = openSync(raw, 'w');
  for (let i = 0; i < sizeMiB; i++) {
    new DataView(chunk.buffer).setUint32(0, i + 1, true); // every MiB differs and is non-zero
    writeSync(fd, chunk, 0, MiB, i * MiB);
  }
  closeSync(fd);
  execFileSync('qemu-img', [
    'convert',
    '-f',
    'raw',
    '-O',
    'vhdx',
    '-o',
    `subformat=dynamic,block_size=${blockSize}`,
    raw,
    vhdx,
  ]);
  return { raw, vhdx };
}

/** One sequential pass: wall-clock GB/s and GB per CPU-second (user+sys, all threads; robust to load). */
async function pass(src: DiskSource, buf: Uint8Array): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let off = 0; off < src.virtualSize; off += MiB)
    await src.read(buf, off, Math.min(MiB, src.virtualSize - off));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall: src.virtualSize / s / 1e9, cpu: src.virtualSize / ((c.user + c.system) / 1e6) / 1e9 };
}

/** Heap and ArrayBuffer bytes per 1 MiB read, over 64 reads (too few for a young-gen GC to hide them). */
async function allocationPerBlock(
  src: DiskSource,
  buf: Uint8Array,
): Promise<{ heap: number; arrayBuffers: number }> {
  const reads = 64;
  await src.read(buf, 0, MiB);
  gc();
  const m0 = process.memoryUsage();
  for (let i = 0; i < reads; i++) await src.read(buf, (i * MiB) % (src.virtualSize - MiB), MiB);
  const m1 = process.memoryUsage();
  return {
    heap: (m1.heapUsed - m0.heapUsed) / reads,
    arrayBuffers: (m1.arrayBuffers - m0.arrayBuffers) / reads,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Variant {
  readonly name: string;
  readonly src: DiskSource;
  readonly runs: { wall: number; cpu: number }[];
}

interface VariantResult {
  readonly name: string;
  readonly medianGBps: number;
  readonly minGBps: number;
  readonly maxGBps: number;
  readonly medianGBperCpuSecond: number;
  readonly heapBytesPerRead: number;
  readonly arrayBufferBytesPerRead: number;
}

/** Passes interleave the variants round-robin so that each sees the same background load. */
async function measure(variants: Variant[]): Promise<VariantResult[]> {
  const results: VariantResult[] = [];
  const buf = new Uint8Array(MiB);
  for (const v of variants) await pass(v.src, buf); // warm the page cache and the JIT
  for (let i = 0; i < passes; i++) for (const v of variants) v.runs.push(await pass(v.src, buf));
  for (const v of variants) {
    const alloc = await allocationPerBlock(v.src, buf);
    const rates = v.runs.map((r) => r.wall);
    const cpu = median(v.runs.map((r) => r.cpu));
    results.push({
      name: v.name,
      medianGBps: Number(median(rates).toFixed(2)),
      minGBps: Number(Math.min(...rates).toFixed(2)),
      maxGBps: Number(Math.max(...rates).toFixed(2)),
      medianGBperCpuSecond: Number(cpu.toFixed(2)),
      heapBytesPerRead: Math.round(alloc.heap),
      arrayBufferBytesPerRead: Math.round(alloc.arrayBuffers),
    });
    log(
      `${v.name.padEnd(22)} ${median(rates).toFixed(2)} GB/s median of ${passes} ` +
        `(min ${Math.min(...rates).toFixed(2)}, max ${Math.max(...rates).toFixed(2)}), ` +
        `${cpu.toFixed(2)} GB per CPU-second, ` +
        `alloc per 1 MiB read: heap ${Math.round(alloc.heap)} B, ArrayBuffers ${Math.round(alloc.arrayBuffers)} B`,
    );
    await v.src.close();
  }
  return results;
}

const dir = mkdtempSync(path.join(tmpdir(), 'dm-bench-read-'));
try {
  const { raw, vhdx } = makeImages(dir);
  log(
    `image: ${sizeMiB} MiB dynamic VHDX, block_size=${blockSize}, every block FULLY_PRESENT; 1 MiB reads; node ${process.version}`,
  );
  const variant = async (name: string, src: Promise<DiskSource>): Promise<Variant> => ({
    name,
    src: await src,
    runs: [],
  });
  const variants = await measure([
    await variant('vhdx async', openVhdx(vhdx, { io: 'async' })),
    await variant('vhdx sync', openVhdx(vhdx, { io: 'sync' })),
    await variant('raw async (reference)', openRaw(raw, { io: 'async' })),
    await variant('raw sync (reference)', openRaw(raw, { io: 'sync' })),
  ]);
  const load = loadavg().map((l) => Number(l.toFixed(1)));
  log(`load average during the run: ${load.join(' ')} on ${cpus().length} CPUs`);
  if (json) {
    const image = { sizeMiB, blockSize, format: 'dynamic VHDX, every block present', readBytes: MiB };
    console.log(
      JSON.stringify({ bench: 'read-throughput', image, passes, loadAverage: load, variants }, null, 2),
    );
  }
} finally {
  if (keep) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
