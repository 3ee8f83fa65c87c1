/**
 * The `npm start` job: the most complete end-to-end run the product offers, on an embedded default.
 * It generates a guest disk with a real NTFS volume, inspects it, backs it up (BitLooker, LZ4,
 * AES-256-GCM), lists and verifies the points, restores the disk to VHDX and checks every file of
 * the guest against the generator's manifest. Everything lives in a fresh temp directory that is
 * removed afterwards (unless `keep`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dmError } from '../errors.js';
import { backup, type BackupResult } from './backup.js';
import { checkRestoredFiles, type FileCheck } from './demo-check.js';
import { generateDisk } from './fixtures.js';
import { inspect, type InspectResult } from './inspect.js';
import { points } from './points.js';
import { restore } from './restore.js';
import { verify } from './verify.js';

export interface DemoOptions {
  /** Size of the demo disk (default 1 GiB). */
  readonly diskSize?: number;
  readonly seed?: number;
  /** Keep the work directory and report its path. */
  readonly keep?: boolean;
  readonly onStep?: (step: DemoStep) => void;
  /** Aborts the run (DM_ERR_ABORTED); the work directory is removed unless `keep`. */
  readonly signal?: AbortSignal;
}

export interface DemoStep {
  readonly name: string;
  readonly detail: string;
  readonly durationMs: number;
}

export interface DemoResult {
  readonly workDir: string | undefined;
  readonly steps: readonly DemoStep[];
  readonly inspect: InspectResult;
  readonly backup: BackupResult;
  readonly files: FileCheck;
}

const MiB = 1024 * 1024;
/** A demo secret, not a user's: it only protects the throw-away demo repository. */
const DEMO_PASSWORD = 'datamover-demo-password';

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const dir = await mkdtemp(join(tmpdir(), 'datamover-demo-'));
  const steps: DemoStep[] = [];
  const step = async <T>(name: string, run: () => Promise<T>, detail: (r: T) => string): Promise<T> => {
    if (options.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'the demo was aborted');
    const t0 = performance.now();
    const r = await run();
    const s = { name, detail: detail(r), durationMs: Math.round(performance.now() - t0) };
    steps.push(s);
    options.onStep?.(s);
    return r;
  };
  const signal = options.signal;
  const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
  try {
    const disk = join(dir, 'sql01-0.vhdx');
    const repo = join(dir, 'repo');
    const restored = join(dir, 'restored.vhdx');
    const manifest = await step(
      'generate guest disk',
      () =>
        generateDisk({
          out: disk,
          seed: options.seed ?? 1,
          diskSize: options.diskSize ?? 1024 * MiB,
          format: 'vhdx',
          ...(signal ? { signal } : {}),
        }),
      (m) =>
        `${m.files.length} files on NTFS, ${mib(m.volume.usedClusters * m.volume.clusterSize)} in use of ${mib(m.diskSize)}`,
    );
    const info = await step(
      'inspect',
      () => inspect(disk),
      (r) => {
        const v = r.volumes?.volumes[0];
        return `${r.format} ${r.subformat}, ${r.volumes?.scheme}, ${v?.kind} ${v?.status}, cluster ${v?.clusterSize}`;
      },
    );
    const job = await step(
      'backup',
      () => backup({ repo, disk, vm: 'sql01', password: DEMO_PASSWORD, ...(signal ? { signal } : {}) }),
      (r) =>
        `read ${mib(r.stats.readBytes)} of ${mib(r.stats.processedBytes)} (BitLooker skipped ${mib(r.bitlooker.skippedBytes)}), ` +
        `stored ${mib(r.stats.backupSizeBytes)}, ${mib(r.stats.processingRateBytesPerSec)}/s, bottleneck ${r.stats.bottleneck.primary}`,
    );
    await step(
      'points',
      () => points({ repo, password: DEMO_PASSWORD }),
      (r) => `${r.points.length} restore point(s)`,
    );
    const health = await step(
      'verify',
      () => verify({ repo, password: DEMO_PASSWORD, ...(signal ? { signal } : {}) }),
      (r) => (r.ok ? `${r.frames} blobs in ${r.packs} pack(s) verified` : `${r.problems.length} problem(s)`),
    );
    if (!health.ok)
      throw dmError('DM_ERR_REPO_CORRUPT', 'the demo repository failed verification', { file: repo });
    await step(
      'restore',
      () =>
        restore({ repo, vm: 'sql01', out: restored, password: DEMO_PASSWORD, ...(signal ? { signal } : {}) }),
      (r) => `${r.out}: ${mib(r.bytesWritten)} written, ${mib(r.rateBytesPerSec)}/s`,
    );
    const files = await step(
      'check guest files',
      () => checkRestoredFiles(restored, manifest),
      (c) =>
        `${c.identical} files byte-identical, ${c.excludedZeroed} excluded files zeroed, ${c.resident} resident in the MFT`,
    );
    if (files.mismatched.length)
      throw dmError('DM_ERR_INTERNAL', `restored files differ: ${files.mismatched.slice(0, 5).join(', ')}`, {
        file: restored,
      });
    return { workDir: options.keep ? dir : undefined, steps, inspect: info, backup: job, files };
  } finally {
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}
