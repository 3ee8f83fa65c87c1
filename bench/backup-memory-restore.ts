/**
 * Peak RSS of CLI backups (design.md §5: ≤ 400 MiB on a 4 GiB disk, and no more on a 64 GiB
 * sparse one), then restore and verify throughput of the 4 GiB point (bar: ≥ 1 GB/s each), all
 * through the compiled CLI under `/usr/bin/time -v`.
 *
 *   npm run build && node --import tsx bench/backup-memory-restore.ts [--size 4GiB] [--sparse 64GiB]
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../src/core/size.js';
import { createVhdx } from '../src/source/vhdx/writer/vhdx-writer.js';
import { CLI, GiB, MiB, OUT, arg, mbps, measureCommand, mixedImage, warm } from './backup-bench-util.js';

/** A 64 GiB dynamic VHDX with 64 MiB of data spread over it: the rest is never allocated. */
async function sparseImage(size: number): Promise<string> {
  const path = join(OUT, `sparse-${size / GiB}GiB.vhdx`);
  rmSync(path, { force: true });
  const w = await createVhdx(path, { virtualSize: size });
  const piece = new Uint8Array(4 * MiB);
  for (let i = 0; i < 16; i++) {
    piece.fill(i + 1);
    piece.set(new TextEncoder().encode(`piece ${i}`), 0);
    await w.write(piece, Math.floor((size / 16) * i));
  }
  await w.close();
  return path;
}

async function main(): Promise<void> {
  const size = parseSize(arg('size', '4GiB'));
  const sparseSize = parseSize(arg('sparse', '64GiB'));
  const dense = await mixedImage(size);
  const sparse = await sparseImage(sparseSize);
  const repo = join(OUT, 'mem-repo');
  const repoSparse = join(OUT, 'mem-repo-sparse');
  const restored = join(OUT, 'mem-restored.raw');
  for (const p of [repo, repoSparse, restored]) rmSync(p, { recursive: true, force: true });

  warm(dense);
  const b = measureCommand(process.execPath, [CLI, 'backup', '--repo', repo, '--disk', dense, '--json']);
  const bs = measureCommand(process.execPath, [
    CLI,
    'backup',
    '--repo',
    repoSparse,
    '--disk',
    sparse,
    '--json',
  ]);
  const r = measureCommand(process.execPath, [
    CLI,
    'restore',
    '--repo',
    repo,
    '--vm',
    dense.replace(/^.*\//, '').replace(/\.vhdx$/, ''),
    '-o',
    restored,
    '--json',
  ]);
  const v = measureCommand(process.execPath, [CLI, 'verify', '--repo', repo, '--json']);
  const vr = JSON.parse(v.stdout) as { ok: boolean; bytes: number; rateBytesPerSec: number };
  const rr = JSON.parse(r.stdout) as { virtualSize: number; rateBytesPerSec: number };
  console.log(`load average ${loadavg()[0]!.toFixed(1)}`);
  console.log(
    `backup ${size / GiB} GiB mixed: ${(b.wallMs / 1000).toFixed(2)} s, ${mbps(size, b.wallMs)} MB/s, peak RSS ${b.peakRssMiB} MiB`,
  );
  console.log(
    `backup ${sparseSize / GiB} GiB sparse (64 MiB data): ${(bs.wallMs / 1000).toFixed(2)} s, peak RSS ${bs.peakRssMiB} MiB`,
  );
  console.log(
    `restore ${size / GiB} GiB: ${(r.wallMs / 1000).toFixed(2)} s wall (process), ${mbps(rr.virtualSize, r.wallMs)} MB/s; ` +
      `in-process rate ${(rr.rateBytesPerSec / 1e6).toFixed(1)} MB/s; peak RSS ${r.peakRssMiB} MiB`,
  );
  console.log(
    `verify: ok=${vr.ok}, ${(vr.bytes / GiB).toFixed(2)} GiB checked, ${(v.wallMs / 1000).toFixed(2)} s wall, ` +
      `${mbps(vr.bytes, v.wallMs)} MB/s; in-process ${(vr.rateBytesPerSec / 1e6).toFixed(1)} MB/s; peak RSS ${v.peakRssMiB} MiB`,
  );
  for (const p of [repo, repoSparse, restored]) rmSync(p, { recursive: true, force: true });
}

await main();
