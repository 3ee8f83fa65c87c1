/**
 * BlockPool throughput vs the two-core compute floor (design.md §5):
 *   node --import tsx bench/pool-throughput.ts [--total-mib 512] [--threads 1,2] [--batch 1,2,4,8]
 *
 * Unique mixed guest-like data, 1 MiB blocks, `optimal` (LZ4) + AES-256-GCM, keyed identities,
 * buffers recycled through a SlotRing (slot-ring.ts). The main thread copies each block into its slot (standing
 * in for the disk read), assigns nonces, submits `hashAndSeal` batches and honours backpressure.
 * Right after each pool run the single-core speeds of identity hash, LZ4 and GCM are measured on the
 * same bytes, and floor = threads ÷ Σ(1/speed) (all speeds in raw bytes per second; GCM runs on the
 * compressed bytes, so its raw-byte speed is raw ÷ time to encrypt the compressed output).
 * On a shared, loaded machine wall-clock figures swing with other processes; "CPU efficiency"
 * (raw bytes per CPU-second of the whole process vs the stages' own bytes per CPU-second) shows
 * what the pool itself costs on top of the stages, independent of that load.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { NONCE_BYTES } from '../src/core/blob.js';
import type { BlockSlot } from '../src/workers/block-slot.js';
import { nonceFromCounter, sealInto } from '../src/compute/cipher/aes-gcm.js';
import { compressTransient } from '../src/compute/codecs/block-codec.js';
import { blockIdentity } from '../src/compute/identity.js';
import { BlockPool } from '../src/workers/pool.js';
import { makeBlock } from '../src/workers/sample-data.js';
import { SlotRing } from './slot-ring.js';

const MIB = 1024 * 1024;
const BLOCK = MIB;
const DISTINCT = 32;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const totalBlocks = Number(arg('total-mib', '512'));
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const batchSizes = arg('batch', '1,2,4,8').split(',').map(Number);

const identityKey = randomBytes(32);
const blobKey = randomBytes(32);
const sources = Array.from({ length: DISTINCT }, (_, i) => makeBlock('mixed', BLOCK, i + 1));

interface Speeds {
  hash: number;
  lz4: number;
  gcm: number;
}

/** CPU seconds (user + system, all threads) since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

/**
 * Raw bytes per second of each compute stage on one core (this thread, pool closed), over the
 * same blocks: by wall time and by CPU time (the latter is immune to other processes' load).
 */
function stageSpeeds(): { wall: Speeds; cpu: Speeds } {
  const wall = {} as Speeds;
  const cpu = {} as Speeds;
  const time = (name: keyof Speeds, fn: (b: Uint8Array, i: number) => void): void => {
    for (let i = 0; i < 4; i++) fn(sources[i]!, i); // warm-up
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let pass = 0; pass < 2; pass++) sources.forEach(fn);
    wall[name] = (2 * DISTINCT * BLOCK) / ((performance.now() - t0) / 1000);
    cpu[name] = (2 * DISTINCT * BLOCK) / cpuSince(c0);
  };
  const compressed = sources.map((b) => compressTransient('optimal', b).data.slice());
  const aad = new Uint8Array(37);
  const nonce = nonceFromCounter(1);
  const out = new Uint8Array(BLOCK + 16);
  time('hash', (b) => blockIdentity(b, identityKey));
  time('lz4', (b) => compressTransient('optimal', b));
  time('gcm', (_b, i) => sealInto(blobKey, nonce, aad, compressed[i]!, out));
  return { wall, cpu };
}

/** Floor for `threads` cores: threads ÷ Σ 1/speed. */
function floorOf(s: Speeds, threads: number): number {
  return threads / (1 / s.hash + 1 / s.lz4 + 1 / s.gcm);
}

interface RunResult {
  mibPerSec: number;
  /** Raw MiB per CPU-second of the whole process (main thread + workers). */
  mibPerCpuSec: number;
  startRssMiB: number;
  peakRssMiB: number;
  storedRatio: number;
}

async function runPool(threads: number, batch: number): Promise<RunResult> {
  const startRss = process.memoryUsage.rss();
  const pool = new BlockPool({ threads, batchSize: batch });
  // Warm the threads (startup, JIT) outside the timed part.
  const warm = new SlotRing(threads, BLOCK);
  const warmSlots = Array.from({ length: threads }, () => warm.acquire()!);
  warmSlots.forEach((s, i) => (s.data.set(sources[i]!), (s.length = BLOCK)));
  await Promise.all(warmSlots.map((s) => pool.submit({ op: 'hash', slots: [s] })));

  const ring = new SlotRing((pool.maxInFlight + 1) * batch, BLOCK);
  let peakRss = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  let counter = 0;
  let stored = 0;
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  while (counter < totalBlocks) {
    if (!pool.canSubmit()) await pool.whenCanSubmit();
    const n = Math.min(batch, totalBlocks - counter);
    const slots: BlockSlot[] = [];
    const nonces = new Uint8Array(n * NONCE_BYTES);
    for (let i = 0; i < n; i++) {
      const slot = ring.acquire();
      if (!slot) throw new Error('ring exhausted: backpressure contract broken');
      slot.data.set(sources[counter % DISTINCT]!);
      new DataView(slot.data.buffer, slot.data.byteOffset).setFloat64(0, counter); // unique block
      slot.length = BLOCK;
      nonceFromCounter(counter, nonces.subarray(i * NONCE_BYTES));
      slots.push(slot);
      counter++;
    }
    const p = pool
      .submit({ op: 'hashAndSeal', level: 'optimal', identityKey, blobKey, slots, nonces })
      .then((r) => {
        for (let i = 0; i < slots.length; i++) stored += r.payloadLengths[i]!;
        slots.forEach((s) => ring.release(s));
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.all(pending);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSince(cpu0);
  clearInterval(sampler);
  await pool.close();
  return {
    mibPerSec: (totalBlocks * BLOCK) / MIB / seconds,
    mibPerCpuSec: (totalBlocks * BLOCK) / MIB / cpuSeconds,
    startRssMiB: startRss / MIB,
    peakRssMiB: Math.max(peakRss, process.memoryUsage.rss()) / MIB,
    storedRatio: stored / (totalBlocks * BLOCK),
  };
}

const f = (x: number) => (x / MIB).toFixed(0);
console.log(
  `Node ${process.version}; ${totalBlocks} MiB of unique mixed data per run, 1 MiB blocks, optimal + AES-GCM`,
);
for (const threads of threadCounts) {
  for (const batch of batchSizes) {
    const r = await runPool(threads, batch); // first, so its RSS is not inflated by stageSpeeds
    const s = stageSpeeds();
    const floor = floorOf(s.wall, threads) / MIB;
    const cpuFloor = floorOf(s.cpu, 1) / MIB; // MiB per CPU-second if nothing but the stages ran
    console.log(
      `threads ${threads} batch ${batch}: ${r.mibPerSec.toFixed(0)} MiB/s = ${((100 * r.mibPerSec) / floor).toFixed(0)} % ` +
        `of the ${threads}-core floor ${floor.toFixed(0)} MiB/s; CPU efficiency ${((100 * r.mibPerCpuSec) / cpuFloor).toFixed(0)} % ` +
        `(${r.mibPerCpuSec.toFixed(0)} vs ${cpuFloor.toFixed(0)} MiB per CPU-s); RSS ${r.startRssMiB.toFixed(0)} → peak ` +
        `${r.peakRssMiB.toFixed(0)} MiB; stored ${(r.storedRatio * 100).toFixed(1)} %\n` +
        `   single-core MiB/s (wall | CPU): hash ${f(s.wall.hash)} | ${f(s.cpu.hash)}, lz4 ${f(s.wall.lz4)} | ` +
        `${f(s.cpu.lz4)}, gcm ${f(s.wall.gcm)} | ${f(s.cpu.gcm)}`,
    );
  }
}
console.log(`process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
