/**
 * The pipeline against an in-memory source and a recording target: every block accounted for once,
 * memory bounded by the ring whatever the disk size, zero and duplicate blocks never sealed,
 * writer failures surface, and the bottleneck names a stage.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SealedBlob } from '../../src/core/blob.js';
import { IdentityFilter } from '../../src/core/identity-filter.js';
import { dmError } from '../../src/errors.js';
import type { BlockTarget } from '../../src/pipeline/block-target.js';
import type { HashPlacement } from '../../src/pipeline/hash-placement.js';
import { BufferRing } from '../../src/pipeline/buffer-ring.js';
import { inlineEngine } from '../../src/pipeline/inline-engine.js';
import { poolEngine } from '../../src/pipeline/pool-engine.js';
import { ringSizeFor, runPipeline } from '../../src/pipeline/run-pipeline.js';
import type { PipelineTuning } from '../../src/pipeline/run-pipeline.js';
import { blockGrid } from '../../src/plan/block-grid.js';
import { planBlocks } from '../../src/plan/planner.js';
import type { DiskSource, Extent } from '../../src/source/disk-source.js';
import { blockIdentity } from '../../src/compute/identity.js';
import { BlockPool } from '../../src/workers/pool.js';
import { openSealed } from '../../src/compute/seal.js';

const BS = 256 * 1024;

/** Block i holds: zero when i % 5 === 0, a copy of block 1 when i % 7 === 3, else unique bytes. */
function memorySource(blocks: number, tail = 0): DiskSource & { bytes: Uint8Array } {
  const size = blocks * BS + tail;
  const bytes = new Uint8Array(size);
  for (let i = 0; i * BS < size; i++) {
    const view = bytes.subarray(i * BS, Math.min((i + 1) * BS, size));
    if (i % 5 === 0) continue;
    const seed = i % 7 === 3 ? 1 : i;
    for (let k = 0; k < view.length; k += 4096) view[k] = (seed * 31 + k) & 0xff || 1;
    view[0] = seed & 0xff;
    view[1] = seed >> 8;
  }
  return {
    path: 'memory',
    format: 'raw',
    virtualSize: size,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    bytes,
    async read(buf, offset, length = buf.length, bufOffset = 0) {
      await Promise.resolve();
      buf.set(bytes.subarray(offset, offset + length), bufOffset);
    },
    *extents(): Iterable<Extent> {
      yield { offset: 0, length: size, kind: 'present' };
    },
    close: async () => {},
  };
}

interface Recorder extends BlockTarget {
  readonly stored: Map<number, Uint8Array>;
  readonly zero: Set<number>;
  readonly dup: Map<number, string>;
  readonly sealedCount: () => number;
}

function recorder(opts: { slowWrites?: boolean; failAt?: number } = {}): Recorder {
  const byId = new Map<string, Uint8Array>();
  const stored = new Map<number, Uint8Array>();
  const zero = new Set<number>();
  const dup = new Map<number, string>();
  let sealed = 0;
  const key = (id: Uint8Array) => Buffer.from(id).toString('hex');
  return {
    stored,
    zero,
    dup,
    sealedCount: () => sealed,
    keys: { identityKey: undefined, nextNonce: () => undefined },
    has: (id) => byId.has(key(id)),
    async putBlob(i: number, s: SealedBlob) {
      sealed++;
      if (opts.failAt !== undefined && sealed === opts.failAt)
        throw dmError('DM_ERR_IO_NOSPACE', 'disk full (test)');
      // Decode now: the payload lives in a ring buffer that is recycled after this resolves.
      const raw = openSealed({ ...s, payload: s.payload.slice() }).slice();
      byId.set(key(s.identity), raw);
      stored.set(i, raw);
      if (opts.slowWrites) await new Promise((r) => setTimeout(r, 1));
    },
    putDuplicate(i, id) {
      dup.set(i, key(id));
      stored.set(i, byId.get(key(id))!);
    },
    putZero: (i) => void zero.add(i),
    putSkipped: () => {},
  };
}

const tuning = (hashPlacement: HashPlacement): PipelineTuning => ({
  batchSize: 3,
  maxInFlight: 2,
  readAhead: 2,
  writeSlack: 2,
  hashPlacement,
});

async function run(src: DiskSource, target: BlockTarget, placement: HashPlacement, readConcurrency = 1) {
  return runPipeline({
    source: src,
    plan: planBlocks(src.extents(), blockGrid(src.virtualSize, BS)),
    target,
    engine: inlineEngine({ level: 'optimal', identityKey: undefined, blobKey: undefined }),
    blockSize: BS,
    incremental: false,
    tuning: { ...tuning(placement), readConcurrency },
  });
}

describe('pipeline', () => {
  it.each<[HashPlacement, number]>([
    ['fused', 1],
    ['main', 1],
    ['pool', 1],
    ['pool', 3],
  ])('accounts for every block once (%s, %i reads in flight)', async (placement, readConcurrency) => {
    const src = memorySource(40, 1234);
    const t = recorder({ slowWrites: true });
    const r = await run(src, t, placement, readConcurrency);
    const blocks = 41;
    expect(t.zero.size + t.stored.size).toBe(blocks);
    for (let i = 0; i < blocks; i++) {
      const want = src.bytes.subarray(i * BS, Math.min((i + 1) * BS, src.virtualSize));
      if (t.zero.has(i)) expect(want.every((b) => b === 0)).toBe(true);
      else expect(Buffer.compare(t.stored.get(i)!, want)).toBe(0);
    }
    // Blocks 3, 10, 17, ... repeat block 1: deduplicated, never stored twice.
    expect(t.dup.size).toBeGreaterThanOrEqual(5);
    expect(r.counters.storedBlocks + r.counters.duplicateBlocks + r.counters.zeroBlocks).toBe(blocks);
    expect(r.counters.readBytes).toBe(src.virtualSize);
    if (placement !== 'fused') expect(t.sealedCount()).toBe(r.counters.storedBlocks); // dedup before sealing
    expect(['source', 'proxy', 'network', 'target']).toContain(r.bottleneck.primary);
  });

  it('memory is bounded by the ring, independent of disk size', async () => {
    const small = await run(memorySource(12), recorder({ slowWrites: true }), 'main');
    const big = await run(memorySource(300), recorder({ slowWrites: true }), 'main');
    const cap = ringSizeFor(tuning('main'));
    expect(small.ringBuffers).toBe(cap);
    expect(big.ringBuffers).toBe(cap);
    expect(big.peakBuffers).toBeLessThanOrEqual(cap);
  });

  it('a writer failure fails the pipeline with its code', async () => {
    await expect(run(memorySource(30), recorder({ failAt: 4 }), 'fused')).rejects.toMatchObject({
      code: 'DM_ERR_IO_NOSPACE',
    });
  });

  it('an abort signal stops the reader with DM_ERR_ABORTED', async () => {
    const src = memorySource(200);
    const controller = new AbortController();
    const target = recorder({ slowWrites: true });
    const p = runPipeline({
      source: src,
      plan: planBlocks(src.extents(), blockGrid(src.virtualSize, BS)),
      target,
      engine: inlineEngine({ level: 'none', identityKey: undefined, blobKey: undefined }),
      blockSize: BS,
      incremental: false,
      tuning: tuning('fused'),
      signal: controller.signal,
      onProgress: (done) => {
        if (done > 10 * BS) controller.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'DM_ERR_ABORTED' });
    expect(target.stored.size + target.zero.size).toBeLessThan(200);
  });
});

describe('buffer ring', () => {
  it('hands out at most `count` buffers and makes the next taker wait', async () => {
    const ring = new BufferRing(2, 1024);
    const a = await ring.acquire();
    const b = await ring.acquire();
    expect(ring.tryAcquire()).toBeUndefined();
    let got: Uint8Array | undefined;
    const waiting = ring.acquire().then((x) => (got = x));
    expect(ring.waiting).toBe(1);
    ring.release(a);
    await waiting;
    expect(got!.buffer).toBe(a.buffer);
    expect(ring.outstanding).toBe(2);
    ring.release(b);
    ring.release(got!);
    expect(ring.outstanding).toBe(0);
    expect(ring.peakOutstanding).toBe(2);
  });

  it('refuses foreign buffers and double releases', () => {
    const ring = new BufferRing(1, 64);
    expect(() => ring.release(new Uint8Array(64))).toThrow(
      expect.objectContaining({ code: 'DM_ERR_INTERNAL' }),
    );
    expect(() => ring.release(new Uint8Array(32))).toThrow(
      expect.objectContaining({ code: 'DM_ERR_INTERNAL' }),
    );
  });
});

describe('identity set on the compute threads (SealConfig.known)', () => {
  const pool = new BlockPool({ threads: 2, maxInFlight: 2 });
  afterAll(() => pool.close());

  /** The pipeline on the pool with `known`, and how many jobs the threads returned unsealed. */
  async function runKnown(src: DiskSource, target: BlockTarget, known: IdentityFilter) {
    const engine = poolEngine(
      { level: 'optimal', identityKey: undefined, blobKey: undefined, known },
      pool,
      false,
    );
    let knownHits = 0;
    const r = await runPipeline({
      source: src,
      plan: planBlocks(src.extents(), blockGrid(src.virtualSize, BS)),
      target,
      engine: {
        ...engine,
        async seal(jobs, readPaths) {
          const result = await engine.seal(jobs, readPaths);
          knownHits += result.knownJobs?.length ?? 0;
          return result;
        },
      },
      known,
      blockSize: BS,
      incremental: false,
      tuning: tuning('auto'),
    });
    return { ...r, knownHits };
  }

  function expectAllBlocks(src: DiskSource & { bytes: Uint8Array }, t: Recorder, blocks: number): void {
    expect(t.zero.size + t.stored.size).toBe(blocks);
    for (let i = 0; i < blocks; i++) {
      const want = src.bytes.subarray(i * BS, (i + 1) * BS);
      if (t.zero.has(i)) expect(want.every((b) => b === 0)).toBe(true);
      else expect(Buffer.compare(t.stored.get(i)!, want)).toBe(0);
    }
  }

  it('threads skip sealing blocks the writer holds; every block is still stored or referenced', async () => {
    const src = memorySource(80);
    const t = recorder();
    const known = IdentityFilter.create(80);
    const r = await runKnown(src, t, known);
    expectAllBlocks(src, t, 80);
    // Copies of block 1 (3, 10, 17, ...) after the first batches are caught before compression.
    expect(r.counters.duplicatesBeforeSeal).toBeGreaterThanOrEqual(5);
    expect(r.counters.duplicatesBeforeSeal).toBeLessThanOrEqual(r.counters.duplicateBlocks);
    expect(r.knownHits).toBe(r.counters.duplicatesBeforeSeal); // every hit was a real duplicate
    expect(t.sealedCount()).toBe(r.counters.storedBlocks);
    expect(known.size).toBe(r.counters.storedBlocks); // every stored blob was added
  });

  it('is only a hint: an identity the writer lacks is sealed and stored all the same', async () => {
    const src = memorySource(30);
    const known = IdentityFilter.create(30);
    for (let i = 0; i < 30; i++)
      known.add(blockIdentity(src.bytes.subarray(i * BS, (i + 1) * BS), undefined));
    const t = recorder(); // holds nothing: every hit is false
    const r = await runKnown(src, t, known);
    expectAllBlocks(src, t, 30);
    // Every non-zero block (all but 0, 5, ..., 25) came back unsealed once, then was sealed.
    expect(r.knownHits).toBe(24);
    const unique = new Set([...t.stored.values()].map((b) => Buffer.from(b).toString('base64'))).size;
    expect(r.counters.storedBlocks).toBe(unique);
  });
});
