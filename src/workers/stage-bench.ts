/**
 * Per-stage micro-benchmarks (`datamover bench stages`): block identity hashes, the frame
 * CRC-32C, zero check, each compression level (compress and decompress), AES-256-GCM seal/open,
 * on blocks of three data kinds. Single-threaded, on the calling thread: these are the per-core
 * speeds that the two-core compute floor (design.md §5) is computed from.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Bench } from 'tinybench';
import { CodecId, COMPRESSION_LEVELS, TAG_BYTES, type CompressionLevel } from '../core/blob.js';
import { crc32cNative, crcNative } from '../core/native.js';
import { nonceFromCounter, openInto, sealBlob, sealInto } from '../compute/cipher/aes-gcm.js';
import { compressBlock, compressTransient, decompressBlock } from '../compute/codecs/block-codec.js';
import { blockIdentity } from '../compute/identity.js';
import { DATA_KINDS, makeBlock, type DataKind } from './sample-data.js';
import { isAllZero, isAllZeroWords } from '../compute/zero.js';

export interface StageBenchOptions {
  /** Block size in bytes; default 1 MiB. */
  readonly blockBytes?: number;
  /** Measuring time per task in ms; default 300. */
  readonly timeMs?: number;
  readonly dataKinds?: readonly DataKind[];
  /** Only stages whose name starts with one of these prefixes (e.g. ['identity', 'aes']). */
  readonly stages?: readonly string[];
}

export interface StageResult {
  /** e.g. `identity.blake3`, `compress.optimal`, `decompress.high`, `aes-gcm.seal`. */
  readonly stage: string;
  readonly dataKind: DataKind;
  readonly blockBytes: number;
  /** Uncompressed bytes processed per second (median latency). */
  readonly bytesPerSec: number;
  /** The same from the fastest sample: closer to an idle core's speed on a shared, busy machine. */
  readonly bytesPerSecBest: number;
  /**
   * Bytes per CPU-second of this thread's process (a separate short loop): what one core does when
   * it is not shared. On a loaded machine wall-clock speeds of multi-millisecond stages (LZ4, zstd)
   * drop with preemption while this one does not.
   */
  readonly bytesPerCpuSec: number;
  readonly latencyMsMedian: number;
  readonly latencyMsMean: number;
  /** Relative margin of error of the mean latency, percent. */
  readonly rmePercent: number;
  readonly samples: number;
  /** Compression stages: stored size ÷ raw size (1 when stored raw). */
  readonly ratio?: number;
}

interface StageTask {
  readonly stage: string;
  readonly run: () => unknown;
  readonly ratio?: number;
}

/** Runs `fn` for about `cpuMs` of CPU time (at least 3 times); returns calls per CPU-second. */
function callsPerCpuSecond(fn: () => unknown, cpuMs: number): number {
  fn();
  const c0 = process.cpuUsage();
  let calls = 0;
  let used = 0;
  while (calls < 3 || (used < cpuMs * 1000 && calls < 10_000)) {
    fn();
    calls++;
    const d = process.cpuUsage(c0);
    used = d.user + d.system;
  }
  return calls / (used / 1e6);
}

const identityKey = randomBytes(32);
const blobKey = randomBytes(32);
const aad = new Uint8Array(37);

function tasksFor(block: Uint8Array): StageTask[] {
  const nonce = nonceFromCounter(1);
  const sealed = sealBlob(blobKey, nonce, aad, block);
  const sealOut = new Uint8Array(block.length + TAG_BYTES);
  const openOut = new Uint8Array(block.length);
  const tasks: StageTask[] = [
    { stage: 'identity.blake3', run: () => blockIdentity(block) },
    { stage: 'identity.blake3-keyed', run: () => blockIdentity(block, identityKey) },
    { stage: 'identity.sha256', run: () => createHash('sha256').update(block).digest() },
    // The frame checksum (CRC-32C), as the repository runs it (own addon, or @node-rs/crc32 without
    // it), and @node-rs/crc32 itself, the fallback.
    { stage: 'crc32c', run: () => crc32cNative()(block) },
    { stage: 'crc32c.node-rs', run: () => crcNative().crc32c(block as Buffer) },
    { stage: 'zero.memcmp', run: () => isAllZero(block) },
    { stage: 'zero.words', run: () => isAllZeroWords(block) },
    // sealInto and openInto are what the workers run (into recycled buffers).
    { stage: 'aes-gcm.seal', run: () => sealInto(blobKey, nonce, aad, block, sealOut) },
    { stage: 'aes-gcm.open', run: () => openInto(blobKey, nonce, aad, sealed, openOut) },
  ];
  for (const level of COMPRESSION_LEVELS.filter((l) => l !== 'none')) {
    const { codec, data } = compressBlock(level, block);
    const ratio = data.length / block.length;
    tasks.push({ stage: `compress.${level}`, run: () => compressTransient(level, block), ratio });
    if (level === 'optimal' || level === 'high') {
      const noProbe = compressBlock(level, block, { probe: false }).data.length / block.length;
      tasks.push({
        stage: `compress.${level}.no-probe`,
        run: () => compressTransient(level as CompressionLevel, block, { probe: false }),
        ratio: noProbe,
      });
    }
    // A block stored raw has nothing to decompress: no row.
    if (codec !== CodecId.none) {
      tasks.push({
        stage: `decompress.${level}`,
        run: () => decompressBlock(codec, data, block.length),
        ratio,
      });
    }
  }
  return tasks;
}

/** Runs the stage benchmarks; one row per (stage, data kind). */
export async function benchStages(options: StageBenchOptions = {}): Promise<StageResult[]> {
  const blockBytes = options.blockBytes ?? 1024 * 1024;
  const results: StageResult[] = [];
  for (const kind of options.dataKinds ?? DATA_KINDS) {
    const block = makeBlock(kind, blockBytes, 42);
    const wanted = tasksFor(block).filter(
      (t) => !options.stages || options.stages.some((p) => t.stage.startsWith(p)),
    );
    const bench = new Bench({
      time: options.timeMs ?? 300,
      warmupTime: 50,
      iterations: 8,
      warmupIterations: 4,
    });
    for (const t of wanted) bench.add(t.stage, t.run);
    await bench.run();
    wanted.forEach((t, i) => {
      const r = bench.tasks[i]!.result;
      if (r.state !== 'completed') return;
      results.push({
        stage: t.stage,
        dataKind: kind,
        blockBytes,
        bytesPerSec: blockBytes / (r.latency.p50 / 1000),
        bytesPerSecBest: blockBytes / (r.latency.min / 1000),
        bytesPerCpuSec: blockBytes * callsPerCpuSecond(t.run, (options.timeMs ?? 300) / 3),
        latencyMsMedian: r.latency.p50,
        latencyMsMean: r.latency.mean,
        rmePercent: r.latency.rme,
        samples: r.latency.samplesCount,
        ...(t.ratio !== undefined ? { ratio: t.ratio } : {}),
      });
    });
  }
  return results;
}

const MIB = 1024 * 1024;

/**
 * A plain-text table: one row per stage, one MiB/s column per data kind (ratio in brackets);
 * `metric` picks wall-clock median (default) or per-CPU-second speeds.
 */
export function formatStageTable(results: readonly StageResult[], metric: 'wall' | 'cpu' = 'wall'): string {
  const kinds = [...new Set(results.map((r) => r.dataKind))];
  const stages = [...new Set(results.map((r) => r.stage))];
  const header = ['stage', ...kinds.map((k) => `${k} MiB/s`)];
  const rows = stages.map((stage) => [
    stage,
    ...kinds.map((kind) => {
      const r = results.find((x) => x.stage === stage && x.dataKind === kind);
      if (!r) return '-';
      const speed = ((metric === 'cpu' ? r.bytesPerCpuSec : r.bytesPerSec) / MIB).toFixed(0);
      return r.ratio !== undefined ? `${speed} (${r.ratio.toFixed(3)})` : speed;
    }),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
