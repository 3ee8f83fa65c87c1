/**
 * backup(): one disk of one VM (`--disk` mode) end to end — open the image, open or create the
 * repository, begin a point in the backup file (the job's, or the VM's with per-VM files), run the
 * pipeline, commit — and report design.md §3.1's `backup --json` shape. On any failure or abort
 * the point is aborted: nothing becomes visible and earlier points are untouched.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dmError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { engineOn, startPool } from '../pipeline/create-engine.js';
import type { BlockCompute } from '../workers/pool.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import type { PipelineResult } from '../pipeline/run-pipeline.js';
import type { Bottleneck } from '../pipeline/stats.js';
import { blockGrid } from '../plan/block-grid.js';
import { planBlocks } from '../plan/planner.js';
import { scanPoints } from '../repository/catalog.js';
import { damageHidingLatest } from '../repository/damaged-points.js';
import { backupFileFor } from '../repository/layout.js';
import { openRepository } from '../repository/open.js';
import type { Repository } from '../repository/open.js';
import { beginPoint } from '../repository/writer.js';
import type { PointWriter } from '../repository/point-writer.js';
import { IdentityFilter } from '../core/identity-filter.js';
import { openImage } from '../source/open-image.js';
import { resolveBackupOptions } from './backup-options.js';
import { planBitLooker } from './bitlooker.js';
import type { BitLookerSummary } from './bitlooker.js';
import type { BackupOptions, ResolvedBackup } from './backup-options.js';
import { throttledProgress } from './backup-progress.js';

export interface BackupPointRef {
  readonly id: string;
  readonly vm: string;
  readonly disk: number;
  readonly type: 'full' | 'incremental';
  readonly backupFile: string;
}

export interface BackupStats {
  /** Provisioned size of the disks. */
  readonly processedBytes: number;
  /** Bytes read from the source (before dedup and compression). */
  readonly readBytes: number;
  /** Payload bytes handed to the writer after dedup + compression (+ encryption). */
  readonly transferredBytes: number;
  /** Bytes this backup added to the repository (frames incl. headers). */
  readonly backupSizeBytes: number;
  /**
   * Bytes of the blocks read ÷ raw bytes of new blobs (zero and duplicate blocks cost nothing);
   * 0 when no new blob was stored (the ratio is not defined then, e.g. an unchanged incremental).
   */
  readonly dedupeRatio: number;
  /** Raw bytes of new blobs ÷ their stored payload bytes; 0 when no new blob was stored. */
  readonly compressionRatio: number;
  readonly durationMs: number;
  /** readBytes ÷ data-transfer time (veeam-behaviour.md §5), not ÷ job duration. */
  readonly processingRateBytesPerSec: number;
  readonly bottleneck: Bottleneck;
  /** Block counts behind the byte figures. */
  readonly blocks: {
    readonly total: number;
    readonly read: number;
    readonly zero: number;
    readonly skipped: number;
    readonly duplicate: number;
    readonly stored: number;
  };
}

export interface BackupTask {
  readonly vm: string;
  readonly disk: number;
  readonly proxy: string;
  readonly transportMode: string;
  readonly readBytes: number;
  readonly durationMs: number;
  readonly status: 'success' | 'warning' | 'failed';
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

export interface BackupResult {
  readonly job: string;
  readonly points: BackupPointRef[];
  readonly stats: BackupStats;
  readonly tasks: BackupTask[];
  readonly warnings: string[];
  /** What BitLooker analysed and left out (design.md §4); `enabled: false` with --no-bitlooker. */
  readonly bitlooker: BitLookerSummary;
}

/** num ÷ den to three decimals; 0 when den is 0 (not defined: nothing to divide by was stored). */
const ratio = (num: number, den: number): number => (den > 0 ? Math.round((num / den) * 1000) / 1000 : 0);

export async function backup(options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const o = resolveBackupOptions(options);
  const warnings: string[] = [];
  if (o.tasks > 1) warnings.push('--disk mode runs one task; --tasks applies to --infra jobs');
  const progress = throttledProgress('backup', o.onProgress);
  progress('open', 0, 0);
  if (o.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'backup was aborted');
  // Started first: the workers load while the image, the repository and the volumes are opened.
  const pool = startPool(o.threads, o.tuning.maxInFlight, o.compression, o.tuning.engine);
  try {
    const source = await openImage(o.image, { io: o.tuning.readIo, format: o.format });
    try {
      // The image is checked before the repository is opened, which creates it when missing.
      blockGrid(source.virtualSize, o.blockSize);
      const backupFile = backupFileFor(o.job, o.perVm ? o.vm : undefined);
      // The volumes are analysed while the repository opens (its KDF runs on libuv's threads).
      progress('analyze', 0, 0);
      const [{ repo, type, chainWarnings }, bl] = await Promise.all([
        openRepository(o.repo, {
          create: true,
          ...(o.password !== undefined ? { password: o.password } : {}),
          ...(o.kdfCost !== undefined ? { scryptLogN: o.kdfCost } : {}),
        }).then(async (repo) => ({ repo, ...(await pointType(repo, o, backupFile)) })),
        planBitLooker(source, {
          enabled: o.bitlooker,
          exclude: o.exclude,
          excludeSwap: o.excludeSwap,
          ...(o.signal ? { signal: o.signal } : {}),
        }),
      ]);
      warnings.push(...chainWarnings, ...bl.warnings);
      const withBitLooker = { ...o, filters: [...o.filters, ...bl.filters] };
      const run = await backupDisk(repo, withBitLooker, source, backupFile, type, progress, pool);
      const c = run.pipeline.counters;
      const stats: BackupStats = {
        processedBytes: source.virtualSize,
        readBytes: c.readBytes,
        transferredBytes: c.transferredBytes,
        backupSizeBytes: run.storedBytes,
        dedupeRatio: ratio(c.blockBytes, c.storedRawBytes),
        compressionRatio: ratio(c.storedRawBytes, c.transferredBytes),
        durationMs: Math.round(performance.now() - started),
        processingRateBytesPerSec: Math.round(c.readBytes / Math.max(run.pipeline.durationMs / 1000, 1e-6)),
        bottleneck: run.pipeline.bottleneck,
        blocks: {
          total: blockGrid(source.virtualSize, o.blockSize).blockCount,
          read: c.zeroReadBlocks + c.duplicateBlocks + c.storedBlocks,
          zero: c.zeroBlocks,
          skipped: c.skippedBlocks,
          duplicate: c.duplicateBlocks,
          stored: c.storedBlocks,
        },
      };
      progress('done', source.virtualSize, source.virtualSize);
      return {
        job: o.job,
        points: [{ id: run.pointId, vm: o.vm, disk: o.diskIndex, type, backupFile }],
        stats,
        tasks: [
          {
            vm: o.vm,
            disk: o.diskIndex,
            proxy: hostname(),
            // The image is read straight from the file system, like Hyper-V on-host backup.
            transportMode: 'direct',
            readBytes: c.readBytes,
            durationMs: Math.round(run.pipeline.durationMs),
            status: warnings.length > 0 ? 'warning' : 'success',
          },
        ],
        warnings,
        bitlooker: bl.summary,
      };
    } finally {
      await source.close();
    }
  } finally {
    await pool?.close();
  }
}

/**
 * Incremental when this backup file already holds a point of this disk on the same grid. Damaged
 * manifests are never built on: when one may be this disk's latest point, the backup starts a new
 * chain (a full); either way the damage is named in the warnings.
 */
async function pointType(
  repo: Repository,
  o: ResolvedBackup,
  backupFile: string,
): Promise<{ type: 'full' | 'incremental'; chainWarnings: string[] }> {
  const { points, damaged } = await scanPoints(repo, { backupFile });
  const chainWarnings = damaged.map(
    (d) => `damaged restore point in backup file ${backupFile}: ${d.file} (${d.code}); run verify`,
  );
  if (o.full) return { type: 'full', chainWarnings };
  const last = points
    .filter((p) => p.manifest.vm === o.vm && p.manifest.disk === o.diskIndex)
    .at(-1)?.manifest;
  if (damageHidingLatest(damaged, o.vm, o.diskIndex, last?.createdMs).length > 0) {
    chainWarnings.push(
      `the latest point of ${o.vm} disk ${o.diskIndex} may be damaged: this backup starts a new chain (a full)`,
    );
    return { type: 'full', chainWarnings };
  }
  return { type: last && last.blockSize === o.blockSize ? 'incremental' : 'full', chainWarnings };
}

/** An identity set holding what the writer's backup file already stores. */
function knownIdentities(writer: PointWriter, blocks: number): IdentityFilter {
  const set = IdentityFilter.create(writer.storedIdentityCount + blocks);
  for (const identity of writer.storedIdentities()) if (!set.add(identity)) break;
  return set;
}

interface DiskRun {
  readonly pointId: string;
  readonly storedBytes: number;
  readonly pipeline: PipelineResult;
}

async function backupDisk(
  repo: Repository,
  o: ResolvedBackup,
  source: Awaited<ReturnType<typeof openImage>>,
  backupFile: string,
  type: 'full' | 'incremental',
  progress: (phase: string, done: number, total: number) => void,
  pool: BlockCompute | undefined,
): Promise<DiskRun> {
  const grid = blockGrid(source.virtualSize, o.blockSize);
  const writer = await beginPoint(repo, {
    backupFile,
    vm: o.vm,
    disk: o.diskIndex,
    virtualSize: source.virtualSize,
    blockSize: o.blockSize,
    type,
  });
  // With compute threads, they check each block against the identities the backup file holds
  // and skip sealing those (core/identity-filter.ts); sized for the file's blobs and this disk's.
  const known = pool ? knownIdentities(writer, grid.blockCount) : undefined;
  const engine = engineOn(
    {
      level: o.compression,
      identityKey: writer.keys.identityKey,
      blobKey: writer.keys.blobKey,
      ...(known ? { known } : {}),
    },
    pool,
  );
  try {
    const result = await runPipeline({
      source,
      plan: planBlocks(source.extents(), grid, { filters: o.filters }),
      target: writer,
      engine,
      blockSize: o.blockSize,
      incremental: type === 'incremental',
      tuning: o.tuning,
      ...(known ? { known } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (done, total) => progress('read', done, total),
    });
    progress('commit', source.virtualSize, source.virtualSize);
    // Every block is sealed: the threads stop while the commit's fsyncs run, so their teardown
    // overlaps the fsyncs (docs/decisions.md). A failure here surfaces from backup()'s own close.
    const stopping = pool?.close().catch(() => undefined);
    const c = result.counters;
    const info = await writer.commit({
      processedBytes: source.virtualSize,
      readBytes: c.readBytes,
      transferredBytes: c.transferredBytes,
    });
    await stopping;
    return { pointId: info.id, storedBytes: info.stats.storedBytes, pipeline: result };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await engine.close();
  }
}
