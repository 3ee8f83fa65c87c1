/**
 * Restore and verify throughput (design.md §5: ≥ 1 GB/s each), plain and encrypted.
 *   node --import tsx bench/restore-verify.ts [--size 1GiB] [--block 1MiB] [--level optimal] [--dir /tmp]
 * Builds a repository with one full point of a disk with no zero blocks (half incompressible, half
 * LZ4-friendly), then restores it to a raw file and verifies the repository, several times each.
 * Restore rate = disk bytes written ÷ wall time; verify rate = block bytes checked ÷ wall time.
 * --threads N: decode on N worker threads (0 = main thread only; default: automatic).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CompressionLevel } from '../src/core/blob.js';
import { parseSize } from '../src/core/size.js';
import { openRepository, openWriter, restorePoint, verifyRepository } from '../src/repository/index.js';
import { blockIdentity } from '../src/workers/identity.js';
import { sealBlock } from '../src/workers/seal.js';
import { BlockPool } from '../src/workers/pool.js';
import { BufferRing } from '../src/workers/buffer-ring.js';
import { prng } from '../test/repository/helpers/disk.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    block: { type: 'string', default: '1MiB' },
    level: { type: 'string', default: 'optimal' },
    dir: { type: 'string', default: tmpdir() },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string' },
  },
});
const size = parseSize(values.size!);
const blockSize = parseSize(values.block!);
const level = values.level as CompressionLevel;
const runs = Number(values.runs);
// --threads N > 0: one long-lived pool, warmed up first (startup is not restore work).
const nThreads = values.threads === undefined ? undefined : Number(values.threads);
const pool = nThreads ? new BlockPool({ threads: nThreads }) : undefined;
const threads = pool ? { pool } : nThreads === 0 ? { threads: 0 } : {};

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

const mbps = (bytes: number, ms: number) => ((bytes / ms) * 1000) / 1e6;

async function main() {
  if (pool) {
    const slot = new BufferRing(1, 4096).acquire()!;
    slot.length = 4096;
    await Promise.all([pool.submit({ op: 'hash', slots: [slot] })]);
  }
  const root = await mkdtemp(join(values.dir!, 'dm-bench-rv-'));
  try {
    for (const password of [undefined, 'bench-pw']) {
      const label = password ? 'encrypted' : 'plain';
      const t0 = performance.now();
      const { repo, info } = await build(join(root, label), password);
      const buildMs = performance.now() - t0;
      const rest: number[] = [];
      const ver: number[] = [];
      // Per CPU-second too: the build machines are shared, and wall time there mostly measures load.
      const restCpu: number[] = [];
      const verCpu: number[] = [];
      const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
      for (let r = 0; r < runs; r++) {
        const out = join(root, `${label}.raw`);
        let t = performance.now();
        let c = process.cpuUsage();
        const res = await restorePoint(repo, { vm: 'vm', out, ...threads });
        rest.push(mbps(res.bytesWritten, performance.now() - t));
        restCpu.push(mbps(res.bytesWritten, cpuMs(process.cpuUsage(c))));
        await rm(out);
        t = performance.now();
        c = process.cpuUsage();
        const report = await verifyRepository(repo, threads);
        if (!report.ok) throw new Error(`verify found problems: ${JSON.stringify(report.problems)}`);
        ver.push(mbps(report.bytes, performance.now() - t));
        verCpu.push(mbps(report.bytes, cpuMs(process.cpuUsage(c))));
      }
      const best = (xs: number[]) => Math.max(...xs).toFixed(0);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);
      console.log(
        `${label.padEnd(9)} disk ${values.size} block ${values.block} ${level}: stored ${(info.stats.storedBytes / 1e6).toFixed(0)} MB ` +
          `(built in ${(buildMs / 1000).toFixed(1)} s) | restore MB/s median ${median(rest)} best ${best(rest)} ` +
          `| verify MB/s median ${median(ver)} best ${best(ver)} | per CPU-second: restore ${median(restCpu)} verify ${median(verCpu)} MB`,
      );
    }
  } finally {
    await pool?.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
