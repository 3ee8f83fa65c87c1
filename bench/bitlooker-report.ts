/** The bitlooker bench's report: per-tool medians, datamover's byte accounting, the bar. */
import type { DiskManifest } from '../src/fixtures/index.js';
import { median, type Measured } from './backup-bench-util.js';

interface DmJson {
  stats: { readBytes: number; transferredBytes: number; compressionRatio: number; dedupeRatio: number };
  bitlooker: {
    skippedBytes: number;
    usedBytes: number;
    volumes: { excluded: { path: string; bytes: number }[] }[];
  };
}

export interface ReportInput {
  readonly image: string;
  readonly manifest: DiskManifest;
  readonly results: Map<string, Measured[]>;
  /** Load average at the start of each measurement. */
  readonly loads: number[];
  /** How the image was cached (pinImage's label). */
  readonly cache: string;
  readonly order: string;
  readonly runs: number;
  readonly warmup: number;
  /** What happened to NODE_EXTRA_CA_CERTS. */
  readonly caCerts: string;
}

/** Prints the bench's tables and the bar's verdict (stdout, markdown). */
export function report(r: ReportInput): void {
  const { image, manifest, results, loads, cache, order, runs, warmup } = r;
  const wall = (name: string) => median(results.get(name)?.map((m) => m.wallMs) ?? [NaN]);
  const cpu = (name: string) => median(results.get(name)?.map((m) => m.cpuS) ?? [NaN]);
  const dm = wall('datamover');
  const dmEnc = wall('datamover-encrypted');
  const gib = (b: number) => (b / 1024 ** 3).toFixed(2);
  console.log(
    `\n### BitLooker backup vs peers — ${image} (order: ${order})\n\n` +
      `disk ${gib(manifest.diskSize)} GiB, ${runs} run(s) each after ${warmup} warm-up run(s), median wall; load average at start of each ` +
      `measurement ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${'2'} cores; ` +
      `NODE_EXTRA_CA_CERTS ${r.caCerts}; image ${cache}\n`,
  );
  console.log(
    '| tool | wall s (median) | runs (s) | MB/s of disk | CPU s (median) | peak RSS MiB | wall × datamover | wall × datamover-encrypted | CPU × datamover |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, ms] of results) {
    const w = wall(name);
    const rss = Math.max(...ms.map((m) => m.peakRssMiB));
    const c = cpu(name);
    const mbs = (manifest.diskSize / 1e6 / (w / 1000)).toFixed(0);
    console.log(
      `| ${name} | ${(w / 1000).toFixed(2)} | ${ms.map((m) => (m.wallMs / 1000).toFixed(1)).join(', ')} | ${mbs} | ${c.toFixed(1)} | ${rss} | ` +
        `${(w / dm).toFixed(2)} | ${(w / dmEnc).toFixed(2)} | ${(c / cpu('datamover')).toFixed(2)} |`,
    );
  }
  const first = results.get('datamover')?.[0];
  if (!first) return;
  const j = JSON.parse(first.stdout) as DmJson;
  const cs = manifest.volume.clusterSize;
  const used = manifest.volume.usedClusters * cs;
  const excluded = j.bitlooker.volumes.flatMap((v) => v.excluded).reduce((s, e) => s + e.bytes, 0);
  console.log(
    `\n| datamover bytes | GiB |\n|---|---:|\n` +
      `| disk (provisioned) | ${gib(manifest.diskSize)} |\n` +
      `| volume used clusters (generator manifest) | ${gib(used)} |\n` +
      `| in use per BitLooker analysis | ${gib(j.bitlooker.usedBytes)} |\n` +
      `| of which excluded (pagefile, hiberfil, ...) | ${gib(excluded)} |\n` +
      `| in use and not excluded (what must be read) | ${gib(j.bitlooker.usedBytes - excluded)} |\n` +
      `| skipped by BitLooker (free + excluded) | ${gib(j.bitlooker.skippedBytes)} |\n` +
      `| read | ${gib(j.stats.readBytes)} (${((j.stats.readBytes / used) * 100).toFixed(1)} % of used) |\n` +
      `| transferred | ${gib(j.stats.transferredBytes)} (dedupe ${j.stats.dedupeRatio}×, compression ${j.stats.compressionRatio}×) |`,
  );
  const restic = wall('restic');
  const borg = Math.min(wall('borg-none'), results.has('borg-repokey') ? wall('borg-repokey') : Infinity);
  const pass = restic / dm >= 8 && borg / dm >= 8;
  if (order !== 'tool') reportRounds(results);
  console.log(
    `\nbar (≥ 8× faster than restic and borg, default settings): restic ${(restic / dm).toFixed(2)}×, ` +
      `fastest borg ${(borg / dm).toFixed(2)}× → ${pass ? 'met' : 'NOT met'}; ` +
      `peak RSS ${Math.max(...results.get('datamover')!.map((m) => m.peakRssMiB))} MiB (bar ≤ 400)`,
  );
}

/** Per round (tools interleaved): each peer's wall ÷ datamover's wall in the same round. */
function reportRounds(results: Map<string, Measured[]>): void {
  const dm = results.get('datamover')!.map((m) => m.wallMs);
  const of = (name: string) => results.get(name)?.map((m) => m.wallMs);
  const borgs = ['borg-none', 'borg-repokey'].map(of).filter((w): w is number[] => w !== undefined);
  const perRound = (peer: (i: number) => number) => dm.map((d, i) => peer(i) / d);
  const restic = of('restic');
  const rows: [string, number[] | undefined][] = [
    ['restic', restic && perRound((i) => restic[i]!)],
    ['fastest borg', borgs.length > 0 ? perRound((i) => Math.min(...borgs.map((w) => w[i]!))) : undefined],
  ];
  for (const [name, ratios] of rows)
    if (ratios)
      console.log(
        `per round, ${name} ÷ datamover: ${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}×)`,
      );
}
