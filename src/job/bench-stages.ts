/**
 * `datamover bench stages`: single-core speed of each compute stage on this machine (identity
 * hashes, zero check, every compression level, AES-256-GCM) on three kinds of data, from the
 * compute engineer's stage benchmarks (workers/stage-bench.ts). Figures are input bytes per second.
 */
import { dmError } from '../errors.js';
import { benchStages as runStageBench, formatStageTable } from '../workers/stage-bench.js';
import type { StageResult } from '../workers/stage-bench.js';

export interface BenchStagesOptions {
  /** Measuring time per stage and data kind in ms (default 300). */
  readonly timeMs?: number;
  /** Block size in bytes (default 1 MiB). */
  readonly blockSize?: number;
  /** Only stages whose name starts with one of these prefixes (e.g. ['identity', 'aes']). */
  readonly stages?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface BenchStagesResult {
  readonly blockSize: number;
  readonly stages: StageResult[];
  /** The same as a plain-text table (MiB/s per data kind). */
  readonly table: string;
}

export async function benchStages(o: BenchStagesOptions = {}): Promise<BenchStagesResult> {
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'bench was aborted');
  const blockSize = o.blockSize ?? 1024 * 1024;
  const stages = await runStageBench({
    blockBytes: blockSize,
    ...(o.timeMs !== undefined ? { timeMs: o.timeMs } : {}),
    ...(o.stages ? { stages: o.stages } : {}),
  });
  return { blockSize, stages, table: formatStageTable(stages) };
}
