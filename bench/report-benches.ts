/** The benches in bench/ that the report lists, with how to summarise the quick ones' JSON. */
import type { Bench, Summary } from './report-results.js';

const MiB = 2 ** 20;

interface StageRow {
  readonly stage: string;
  readonly dataKind: string;
  readonly bytesPerCpuSec: number;
  readonly ratio?: number;
}

/** MiB per CPU-second of `stage` on mixed data (the honest single-core speed on a shared machine). */
function stageSpeed(rows: readonly StageRow[], stage: string): string {
  const r = rows.find((x) => x.stage === stage && x.dataKind === 'mixed');
  return r ? (r.bytesPerCpuSec / MiB).toFixed(0) : '—';
}

function summarizeStages(result: unknown): Summary {
  const rows = result as StageRow[];
  const s = (stage: string) => stageSpeed(rows, stage);
  return {
    figure:
      `MiB per CPU-second, mixed data: BLAKE3 ${s('identity.blake3')}, CRC-32C ${s('crc32c')}, ` +
      `GCM seal ${s('aes-gcm.seal')}, LZ4 ${s('compress.optimal')} (decode ${s('decompress.optimal')}), ` +
      `zstd-3 ${s('compress.high')}, zstd-9 ${s('compress.extreme')}`,
    detail: 'every stage and data kind: see "Stage speeds" below',
  };
}

interface VolumeResult {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly firstRunMs: number;
  readonly medianCpuMs: number;
  readonly pass: boolean;
}

function summarizeVolume(result: unknown): Summary {
  const v = result as VolumeResult;
  return {
    figure:
      `${v.medianMs} ms median warm (${v.minMs}–${v.maxMs}; CPU ${v.medianCpuMs} ms), ` +
      `${v.firstRunMs} ms first run in a fresh process`,
    detail: v.pass ? 'bar met' : 'bar NOT met',
  };
}

interface ReadResult {
  readonly variants: readonly { name: string; medianGBps: number; arrayBufferBytesPerRead: number }[];
}

function summarizeRead(result: unknown): Summary {
  const r = result as ReadResult;
  const gbps = (name: string) => r.variants.find((v) => v.name === name)?.medianGBps.toFixed(2) ?? '—';
  const alloc = r.variants.find((v) => v.name === 'vhdx async')?.arrayBufferBytesPerRead ?? NaN;
  return {
    figure: `VHDX ${gbps('vhdx async')} GB/s async (default), ${gbps('vhdx sync')} GB/s sync; ${alloc} ArrayBuffer bytes allocated per read`,
    detail: `raw file read the same way: ${gbps('raw async (reference)')} / ${gbps('raw sync (reference)')} GB/s`,
  };
}

export const BENCHES: readonly Bench[] = [
  {
    name: 'read-throughput',
    what: 'sequential read, 1 GiB dynamic VHDX, 1 MiB reads, page cache',
    bar: '≥ 3 GB/s',
    command: 'node --import tsx bench/read-throughput.ts',
    runArgs: ['--import', 'tsx', 'bench/read-throughput.ts', '--json'],
    summarize: summarizeRead,
  },
  {
    name: 'volume-analysis',
    what: 'BitLooker analysis of a 4 GiB NTFS volume (every in-use MFT record cross-checked against $Bitmap)',
    bar: '≤ 100 ms',
    command: 'node --import tsx bench/volume-analysis.ts',
    runArgs: ['--import', 'tsx', 'bench/volume-analysis.ts'],
    summarize: summarizeVolume,
  },
  {
    name: 'stages',
    what: 'stage speeds, one core, 1 MiB blocks',
    bar: '—',
    command: 'node --import tsx bench/stages.ts',
    runArgs: ['--import', 'tsx', 'bench/stages.ts', '--json'],
    summarize: summarizeStages,
  },
  {
    name: 'backup-raw-pipeline',
    what: 'raw pipeline, 2 GiB unique data, optimal, encrypted, 2 threads, against the two-core floor',
    bar: '≥ 85 % of floor',
    command: 'npm run build && node --import tsx bench/backup-raw-pipeline.ts --size 2GiB --rounds 5',
  },
  {
    name: 'bitlooker-backup',
    what: 'full backup of the default 4 GiB fixtures disk, CLI defaults, against restic and borg',
    bar: '≥ 8× restic and borg',
    command: 'node --import tsx bench/bitlooker-backup.ts --runs 3',
  },
  {
    name: 'peers',
    what: 'backup of 2 GiB unique data against restic and borg',
    bar: '—',
    command: 'npm run build && node --import tsx bench/peers.ts --size 2GiB',
  },
  {
    name: 'backup-memory-restore',
    what: 'peak RSS of CLI backups (4 GiB mixed, 64 GiB sparse); CLI restore and verify',
    bar: '≤ 400 MiB, flat',
    command: 'npm run build && node --import tsx bench/backup-memory-restore.ts',
  },
  {
    name: 'restore-verify',
    what: 'restore and verify, 1 GiB, plain and encrypted',
    bar: '≥ 1 GB/s',
    command: 'node --import tsx bench/restore-verify.ts --size 1GiB',
  },
  {
    name: 'fixtures-speed',
    what: 'guest disk generator, default 4 GiB disk',
    bar: 'hundreds of MB/s',
    command: 'node --import tsx bench/fixtures-speed.ts',
  },
];
