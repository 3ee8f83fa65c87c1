/**
 * BlockPool throughput vs the two-core compute floor (design.md §5):
 *   node --import tsx bench/pool-throughput.ts [--total-mib 512] [--threads 1,2] [--batch 1,2,4,8]
 *
 * Unique mixed guest-like data, 1 MiB blocks, `optimal` (LZ4) + AES-256-GCM, keyed identities,
 * buffers recycled through a BufferRing. The main thread copies each block into its slot (standing
 * in for the disk read), assigns nonces, submits `hashAndSeal` batches and honours backpressure.
 * Right after each pool run the single-core speeds of identity hash, LZ4 and GCM are measured on the
 * same bytes, and floor = threads ÷ Σ(1/speed) (all speeds in raw bytes per second; GCM runs on the
 * compressed bytes, so its raw-byte speed is raw ÷ time to encrypt the compressed output).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { NONCE_BYTES } from '../src/core/blob.js';
import { BufferRing, type BlockSlot } from '../src/workers/buffer-ring.js';
import { nonceFromCounter, sealBlob } from '../src/workers/cipher/aes-gcm.js';
import { compressTransient } from '../src/workers/codecs/block-codec.js';
import { blockIdentity } from '../src/workers/identity.js';
import { BlockPool } from '../src/workers/pool.js';
import { makeBlock } from '../src/workers/sample-data.js';

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

/** Raw bytes per second of each compute stage on one core (this thread), over the same blocks. */
function stageSpeeds(): { hash: number; lz4: number; gcm: number } {
  const time = (fn: (b: Uint8Array, i: number) => void): number => {
    for (let i = 0; i < 4; i++) fn(sources[i]!, i); // warm-up
    const t0 = performance.now();
    for (let pass = 0; pass < 2; pass++) sources.forEach(fn);
    return (2 * DISTINCT * BLOCK) / ((performance.now() - t0) / 1000);
  };
  const compressed = sources.map((b) => compressTransient('optimal', b).data.slice());
  const aad = new Uint8Array(37);
  const nonce = nonceFromCounter(1);
  return {
    hash: time((b) => blockIdentity(b, identityKey)),
    lz4: time((b) => compressTransient('optimal', b)),
    gcm: time((_b, i) => sealBlob(blobKey, nonce, aad, compressed[i]!)),
  };
}

interface RunResult {
  mibPerSec: number;
  startRssMiB: number;
  peakRssMiB: number;
  storedRatio: number;
}

async function runPool(threads: number, batch: number): Promise<RunResult> {
  const startRss = process.memoryUsage.rss();
  const pool = new BlockPool({ threads, batchSize: batch });
  // Warm the threads (startup, JIT) outside the timed part.
  const warm = new BufferRing(threads, BLOCK);
  const warmSlots = Array.from({ length: threads }, () => warm.acquire()!);
  warmSlots.forEach((s, i) => (s.data.set(sources[i]!), (s.length = BLOCK)));
  await Promise.all(warmSlots.map((s) => pool.submit({ op: 'hash', slots: [s] })));

  const ring = new BufferRing((pool.maxInFlight + 1) * batch, BLOCK);
  let peakRss = process.memoryUsage.rss();
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
  clearInterval(sampler);
  await pool.close();
  return {
    mibPerSec: (totalBlocks * BLOCK) / MIB / seconds,
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
    const floor = threads / (1 / s.hash + 1 / s.lz4 + 1 / s.gcm);
    console.log(
      `threads ${threads} batch ${batch}: ${r.mibPerSec.toFixed(0)} MiB/s, RSS ${r.startRssMiB.toFixed(0)} → peak ${r.peakRssMiB.toFixed(0)} MiB, ` +
        `stored ${(r.storedRatio * 100).toFixed(1)} % | single-core MiB/s: hash ${f(s.hash)}, lz4 ${f(s.lz4)}, ` +
        `gcm ${f(s.gcm)} → ${threads}-core floor ${f(floor)} MiB/s → ${((r.mibPerSec * MIB * 100) / floor).toFixed(0)} % of floor`,
    );
  }
}
console.log(`process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
