/**
 * Wires one disk's backup data path: plan → BlockReader → BlockProcessor (zero skip, dedup, seal
 * engine, writer) with Node's stream `pipeline()`, and reports counters and the bottleneck.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { TAG_BYTES } from '../core/blob.js';
import type { IdentityFilter } from '../core/identity-filter.js';
import { dmError, isDmError } from '../errors.js';
import type { PlanItem } from '../plan/planner.js';
import type { DiskSource } from '../source/disk-source.js';
import type { ReadMapper } from '../source/read-map.js';
import { BlockProcessor } from './block-processor.js';
import type { ComputeEngine } from '../workers/native-fit.js';
import type { BlockTarget, ProcessorCounters } from './block-target.js';
import type { HashPlacement } from './hash-placement.js';
import { BlockReader } from './block-reader.js';
import { BufferRing } from './buffer-ring.js';
import type { SealEngine } from './seal-engine.js';
import { bottleneckOf, newStageClocks } from './stats.js';
import type { Bottleneck } from './stats.js';

export interface PipelineTuning {
  /** Blocks per engine message. */
  readonly batchSize: number;
  /** Batches out at the engine at once. */
  readonly maxInFlight: number;
  /** Blocks the reader may run ahead of the processor. */
  readonly readAhead: number;
  /** Ring buffers beyond what batches and read-ahead need: slack for writes in progress. */
  readonly writeSlack: number;
  readonly hashPlacement: HashPlacement;
  /**
   * Source reads through the libuv thread pool ('async') or blocking preads on the main thread
   * ('sync': no thread hand-off per block; the main thread is mostly idle while workers compute).
   */
  readonly readIo?: 'async' | 'sync';
  /** Source reads in flight at once (default 1). */
  readonly readConcurrency?: number;
  /**
   * Where blocks are read: 'workers' (default when the engine has threads and the source can map
   * its reads): each compute thread preads the blocks it hashes and compresses, so the bytes are
   * read on the core that uses them and the main thread only plans, dedups and writes; 'main':
   * this thread reads (readIo, readConcurrency) and moves the bytes to the workers.
   */
  readonly readIn?: 'workers' | 'main';
  /** Which compute runs the batches (create-engine.ts); default 'auto'. */
  readonly engine?: ComputeEngine;
}

export interface PipelineOptions {
  readonly source: DiskSource;
  readonly plan: Iterable<PlanItem>;
  readonly target: BlockTarget;
  readonly engine: SealEngine;
  readonly blockSize: number;
  readonly incremental: boolean;
  readonly tuning: PipelineTuning;
  /** The engine's identity set (SealConfig.known), kept up to date with every stored blob. */
  readonly known?: IdentityFilter;
  readonly signal?: AbortSignal;
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface PipelineResult {
  readonly counters: ProcessorCounters;
  readonly bottleneck: Bottleneck;
  /** Data-transfer time of this disk (first read to last write). */
  readonly durationMs: number;
  /**
   * Busy ms per stage under the bottleneck's keys (stats.ts bottleneckOf): source = sourceRead,
   * proxy = process CPU ms, compute = the compute clock, network = handover, target = writer.
   */
  readonly busyMs: {
    readonly source: number;
    readonly proxy: number;
    readonly compute: number;
    readonly network: number;
    readonly target: number;
  };
  /** Ring size and the most buffers in use at once (memory = ringBuffers × (blockSize + 16)). */
  readonly ringBuffers: number;
  readonly peakBuffers: number;
}

/** Ring size: enough that batches in flight, a filling batch, read-ahead and writes never starve. */
export function ringSizeFor(t: PipelineTuning): number {
  return t.batchSize * (t.maxInFlight + 1) + t.readAhead + (t.readConcurrency ?? 1) + t.writeSlack;
}

/** The source's read mapper when the engine's threads should read the blocks (see readIn). */
function readMapperFor(o: PipelineOptions): ReadMapper | undefined {
  const t = o.tuning;
  // 'main' placement hashes on this thread, so this thread needs the bytes.
  if ((t.readIn ?? 'workers') !== 'workers' || !o.engine.readsBlocks || t.hashPlacement === 'main')
    return undefined;
  return o.source.readMapper?.();
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'backup was aborted');
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const clocks = newStageClocks();
  const ring = new BufferRing(ringSizeFor(o.tuning), o.blockSize + TAG_BYTES);
  const mapper = readMapperFor(o);
  const reader = new BlockReader(
    o.source,
    o.plan,
    ring,
    clocks.sourceRead,
    o.tuning.readAhead,
    o.tuning.readConcurrency ?? 1,
    mapper,
  );
  const processor = new BlockProcessor({
    target: o.target,
    engine: o.engine,
    ring,
    clocks,
    blockSize: o.blockSize,
    virtualSize: o.source.virtualSize,
    batchSize: o.tuning.batchSize,
    maxInFlight: o.tuning.maxInFlight,
    hashPlacement: o.tuning.hashPlacement,
    incremental: o.incremental,
    ...(mapper ? { readPaths: mapper.paths } : {}),
    ...(o.known ? { known: o.known } : {}),
    ...(o.onProgress ? { onProgress: (d: number) => o.onProgress!(d, o.source.virtualSize) } : {}),
  });
  const onAbort = () => reader.destroy(dmError('DM_ERR_ABORTED', 'backup was aborted'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(reader, processor);
  } catch (err) {
    if (o.signal?.aborted && !(isDmError(err) && err.code !== 'DM_ERR_ABORTED'))
      throw dmError('DM_ERR_ABORTED', 'backup was aborted');
    throw err;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  const durationMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    counters: processor.counters,
    bottleneck: bottleneckOf(clocks, durationMs, cpuMs, availableParallelism()),
    durationMs,
    busyMs: {
      source: clocks.sourceRead.busyMs,
      proxy: cpuMs,
      compute: clocks.compute.busyMs,
      network: clocks.handover.busyMs,
      target: clocks.writer.busyMs,
    },
    ringBuffers: ring.count,
    peakBuffers: ring.peakOutstanding,
  };
}
