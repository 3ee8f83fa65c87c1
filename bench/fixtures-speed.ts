/**
 * Fixture generator speed: time to generate the default 4 GiB guest disk (GPT + NTFS) as raw and
 * as dynamic VHDX, plus the CPU-only rate with a null sink (content, hashing, metadata; no I/O).
 *
 *   node --import tsx bench/fixtures-speed.ts [--size 4GiB] [--seed 1] [--only null,raw,vhdx] [--hash inline|worker]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseSize } from '../src/core/size.js';
import { buildDictionaries } from '../src/fixtures/content/dictionary.js';
import { contentStream } from '../src/fixtures/content/kinds.js';
import { emitDisk } from '../src/fixtures/disk/emit.js';
import { planPartitions } from '../src/fixtures/disk/partition-table.js';
import { diskPieces } from '../src/fixtures/disk/pieces.js';
import { generateDisk } from '../src/fixtures/generate-disk.js';
import { planGuestFiles } from '../src/fixtures/guest/plan-files.js';
import { planVolume } from '../src/fixtures/ntfs/volume-plan.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const size = parseSize(arg('size', '4GiB'));
const seed = Number(arg('seed', '1'));
const only = new Set(arg('only', 'null,raw,vhdx').split(','));
const hashInWorker = arg('hash', 'inline') === 'worker';
const dir = mkdtempSync(join(tmpdir(), 'dm-fixtures-bench-'));
const rate = (ms: number): string => `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
/** CPU time of this process since `start` (user + system), which other load on the box inflates less than wall time. */
const cpuMs = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};

try {
  if (only.has('null')) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const dicts = buildDictionaries(seed);
    const parts = planPartitions(size, 'gpt', seed);
    const vol = planVolume({
      seed,
      volumeBytes: parts.volumeLength,
      clusterSize: 4096,
      hiddenSectors: 2048,
      label: 'GUEST',
      files: planGuestFiles(seed, parts.volumeLength, 4096),
      residentContent: (f) => {
        const b = Buffer.alloc(f.size);
        contentStream(f.kind, seed, f.contentId, dicts).fill(b);
        return b;
      },
    });
    const pieces = diskPieces(parts, vol);
    const t1 = performance.now();
    await emitDisk(pieces, size, async () => undefined, {
      seed,
      dicts: buildDictionaries(seed),
      hashInWorker,
    });
    const t2 = performance.now();
    console.log(
      `null sink  ${(size / 2 ** 30).toFixed(2)} GiB: plan ${(t1 - t0).toFixed(0)} ms, emit ${(t2 - t1).toFixed(0)} ms, total ${(t2 - t0).toFixed(0)} ms = ${rate(t2 - t0)} (${vol.files.length} files, ${((vol.usedClusters / vol.clusters) * 100).toFixed(1)} % used); cpu ${cpuMs(c0).toFixed(0)} ms = ${rate(cpuMs(c0))} per CPU-second`,
    );
  }
  for (const format of ['raw', 'vhdx'] as const) {
    if (!only.has(format)) continue;
    const out = join(dir, `disk.${format}`);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const m = await generateDisk({ out, seed, diskSize: size, format, hashInWorker });
    const ms = performance.now() - t0;
    console.log(
      `${format.padEnd(5)} file ${(size / 2 ** 30).toFixed(2)} GiB: ${ms.toFixed(0)} ms = ${rate(ms)} (${m.files.length} files); cpu ${cpuMs(c0).toFixed(0)} ms`,
    );
    rmSync(out, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
