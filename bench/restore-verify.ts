/**
 * Restore and verify throughput (design.md §5: ≥ 1 GB/s each), plain and encrypted.
 *   node --import tsx bench/restore-verify.ts [--size 1GiB] [--block 1MiB] [--level optimal]
 *     [--targets /dev/shm,<os.tmpdir()>] [--repo-dir /dev/shm] [--runs 3] [--threads N]
 * Builds a repository (in --repo-dir, tmpfs by default, so reads come from memory) with one full
 * point of a disk with no zero blocks (half incompressible, half LZ4-friendly), then per target
 * directory restores it to a raw file, and verifies the repository, --runs times each.
 *
 * - "restore" is the real restorePoint call with a pool of its own (`threads: N`): worker start-up
 *   and shutdown are inside the measured time. "warm pool" passes an already running pool, as the
 *   default process-wide pool is from the second call on (start-up excluded).
 * - Restore rate = disk bytes written ÷ wall time, including the final fsync; verify rate = block
 *   bytes checked ÷ wall time. Medians; per CPU-second = bytes ÷ CPU time of all threads.
 * - The device baseline writes the same number of bytes to each target with node (16 MiB writes,
 *   then one fdatasync, like `dd … conv=fdatasync`): a restore to a disk cannot beat it.
 * --threads N: worker threads (0 = main thread only); default: automatic (availableParallelism).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CompressionLevel } from '../src/core/blob.js';
import { parseSize } from '../src/core/size.js';
import type * as RepoApi from '../src/repository/index.js';
import type * as RestoreApi from '../src/pipeline/restore.js';
import type * as VerifyApi from '../src/pipeline/verify.js';
import type { Repository } from '../src/repository/index.js';
import type * as PoolApi from '../src/workers/frame-run-pool.js';
import type { FrameRunPool } from '../src/workers/frame-run-pool.js';
import { blockIdentity } from '../src/compute/identity.js';
import { sealBlock } from '../src/compute/seal.js';
import { prng } from '../test/repository/helpers/disk.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    block: { type: 'string', default: '1MiB' },
    level: { type: 'string', default: 'optimal' },
    targets: { type: 'string', default: `/dev/shm,${tmpdir()}` },
    'repo-dir': { type: 'string', default: '/dev/shm' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string' },
    src: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});

/**
 * Compiled JavaScript by default (built into bench/out/rv-dist), as users run it: from sources each
 * worker thread compiles TypeScript through tsx at start-up, which is not restore work. This bench
 * imports internal modules, so it compiles module by module with tsc (`npm run build` emits only
 * declarations from tsc and bundles the entry points); worker-entry.ts finds the worker files in
 * this layout too.
 */
function compiledDir(): string {
  const out = join(import.meta.dirname, 'out', 'rv-dist');
  if (values['no-build'] && existsSync(join(out, 'index.js'))) return out;
  try {
    execFileSync(
      'npx',
      [
        'tsc',
        '-p',
        'tsconfig.build.json',
        '--outDir',
        out,
        '--emitDeclarationOnly',
        'false',
        '--declaration',
        'false',
      ],
      { stdio: 'pipe' },
    );
  } catch {
    // Type errors elsewhere in a shared tree still emit JavaScript (noEmitOnError is off).
  }
  return out;
}
const base = values.src ? '../src' : compiledDir();
const { openRepository, openWriter } = (await import(`${base}/repository/index.js`)) as typeof RepoApi;
const { restorePoint } = (await import(`${base}/pipeline/restore.js`)) as typeof RestoreApi;
const { verifyRepository } = (await import(`${base}/pipeline/verify.js`)) as typeof VerifyApi;
const { FrameRunPool: Pool } = (await import(`${base}/workers/frame-run-pool.js`)) as typeof PoolApi;
const size = parseSize(values.size!);
const blockSize = parseSize(values.block!);
const level = values.level as CompressionLevel;
const runs = Number(values.runs);
const targets = values.targets!.split(',').filter(Boolean);
const threads = values.threads === undefined ? undefined : Number(values.threads);

function blockData(i: number): Buffer {
  const b = prng(i, blockSize);
  if (i % 2 === 1) for (let at = 0; at < blockSize; at += 64) b.fill(b[at]! & 0x0f, at, at + 48);
  return b;
}

async function build(dir: string, password: string | undefined) {
  const repo = await openRepository(dir, { create: true, ...(password ? { password, scryptLogN: 14 } : {}) });
  const w = await openWriter(repo, 'bench');
  const p = await w.beginPoint({ vm: 'vm', disk: 0, virtualSize: size, blockSize, type: 'full' });
  for (let i = 0; i < size / blockSize; i++) {
    const data = blockData(i);
    const nonce = p.keys.nextNonce();
    const sealed = sealBlock(data, {
      level,
      identity: blockIdentity(data, p.keys.identityKey),
      ...(p.keys.blobKey && nonce ? { blobKey: p.keys.blobKey, nonce } : {}),
    });
    await p.putBlob(i, sealed);
  }
  const info = await p.commit();
  await w.close();
  return { repo, info };
}

interface Sample {
  readonly mbps: number;
  readonly perCpu: number;
}

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `fn` (which returns bytes done) --runs times; median MB/s and MB per CPU-second. */
async function measure(fn: () => Promise<number>, after?: () => Promise<void>): Promise<Sample> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const bytes = await fn();
    const ms = performance.now() - t;
    wall.push(bytes / ms / 1e3);
    cpu.push(bytes / cpuMs(process.cpuUsage(c)) / 1e3);
    await after?.();
  }
  return { mbps: median(wall), perCpu: median(cpu) };
}

/**
 * What the device does with `size` bytes in 16 MiB writes: "dd" = one fdatasync at the end (like
 * `dd … conv=fdatasync`); "overlapped" = a background fdatasync every 64 MiB and a final fsync,
 * the restore sink's own pattern (restore-sink.ts), so writeback overlaps the writes.
 */
async function deviceBaseline(dir: string): Promise<{ dd: number; overlapped: number }> {
  const chunk = Buffer.alloc(16 * 1024 * 1024, 0x5a);
  const file = join(dir, `.dm-bench-dd-${process.pid}`);
  const remove = () => rm(file, { force: true });
  const dd = await measure(async () => {
    const fd = openSync(file, 'w');
    for (let at = 0; at < size; at += chunk.length)
      writeSync(fd, chunk, 0, Math.min(chunk.length, size - at));
    fdatasyncSync(fd);
    closeSync(fd);
    return size;
  }, remove);
  const overlapped = await measure(async () => {
    const fh = await open(file, 'w');
    let syncing: Promise<void> | undefined;
    let unsynced = 0;
    for (let at = 0; at < size; at += chunk.length) {
      const n = Math.min(chunk.length, size - at);
      await fh.write(chunk, 0, n, at);
      unsynced += n;
      if (unsynced >= 64 * 1024 * 1024 && !syncing) {
        unsynced = 0;
        syncing = fh.datasync().then(() => void (syncing = undefined));
      }
    }
    await syncing;
    await fh.sync();
    await fh.close();
    return size;
  }, remove);
  return { dd: dd.mbps, overlapped: overlapped.mbps };
}

const fmt = (s: Sample) =>
  `${s.mbps.toFixed(0).padStart(5)} MB/s (${s.perCpu.toFixed(0).padStart(4)} MB/CPU-s)`;

async function benchRepo(
  repo: Repository,
  label: string,
  threadOpt: { threads: number },
  warm: FrameRunPool | undefined,
  baselines: { dd: number; overlapped: number }[],
) {
  for (const [ti, dir] of targets.entries()) {
    const out = join(dir, `.dm-bench-restore-${process.pid}.raw`);
    const cleanup = () => rm(out, { force: true });
    const restore = async (extra: object) =>
      (await restorePoint(repo, { vm: 'vm', out, ...extra })).bytesWritten;
    const cold = await measure(() => restore(threadOpt), cleanup);
    const hot = warm ? await measure(() => restore({ pool: warm }), cleanup) : undefined;
    console.log(
      `${label.padEnd(9)} restore → ${dir.padEnd(9)}: ${fmt(cold)}` +
        (hot ? ` | warm pool ${fmt(hot)}` : '') +
        ` | device ${baselines[ti]!.dd.toFixed(0)} MB/s dd-style, ${baselines[ti]!.overlapped.toFixed(0)} overlapped`,
    );
  }
  const verify = async (extra: object) => {
    const report = await verifyRepository(repo, extra);
    if (!report.ok) throw new Error(`verify found problems: ${JSON.stringify(report.problems)}`);
    return report.bytes;
  };
  const cold = await measure(() => verify(threadOpt));
  const hot = warm ? await measure(() => verify({ pool: warm })) : undefined;
  console.log(
    `${label.padEnd(9)} verify             : ${fmt(cold)}` + (hot ? ` | warm pool ${fmt(hot)}` : ''),
  );
}

/** Pool start-up on its own: construct until every thread answered its ping, then close (medians). */
async function poolStartup(n: number): Promise<void> {
  const start: number[] = [];
  const close: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const pool = new Pool({ threads: n, helpWhileStarting: false });
    while (pool.readyThreads < n) await new Promise((resolve) => setTimeout(resolve, 1));
    start.push(performance.now() - t);
    const c = performance.now();
    await pool.close();
    close.push(performance.now() - c);
  }
  console.log(
    `pool of ${n}: start to first replies ${median(start).toFixed(0)} ms, close ${median(close).toFixed(0)} ms`,
  );
}

async function main() {
  const threadsUsed = threads ?? (availableParallelism() >= 2 ? Math.min(availableParallelism(), 8) : 0);
  // An explicit thread count gives each call a pool of its own, started and closed inside it.
  const threadOpt = { threads: threadsUsed };
  console.log(
    `restore-verify (${values.src ? 'sources via tsx' : 'compiled'}): disk ${values.size}, block ${values.block}, ${level}, threads ${threadsUsed}, ` +
      `median of ${runs}; loadavg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const baselines: { dd: number; overlapped: number }[] = [];
  for (const dir of targets) baselines.push(await deviceBaseline(dir));
  if (threadsUsed > 0) await poolStartup(threadsUsed);
  const warm = threadsUsed > 0 ? new Pool({ threads: threadsUsed }) : undefined;
  const root = await mkdtemp(join(values['repo-dir']!, 'dm-bench-rv-'));
  try {
    for (const password of [undefined, 'bench-pw']) {
      const label = password ? 'encrypted' : 'plain';
      const t0 = performance.now();
      const { repo, info } = await build(join(root, label), password);
      console.log(
        `${label}: stored ${(info.stats.storedBytes / 1e6).toFixed(0)} MB, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      await benchRepo(repo, label, threadOpt, warm, baselines);
    }
  } finally {
    await warm?.close();
    await rm(root, { recursive: true, force: true });
  }
  console.log(
    `loadavg after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
