/**
 * The same image backed up by datamover (compiled CLI, default settings: optimal, 1 MiB blocks),
 * restic and borg in one run, each from the page cache into a fresh repository on the same disk.
 *
 *   npm run build && node --import tsx bench/peers.ts [--size 2GiB | --ntfs 4GiB | --image PATH] [--runs 1]
 *
 * `--ntfs SIZE` uses a seeded NTFS guest disk (fixtures generator, cached in bench/out): the
 * design.md §5 first bar (default settings, BitLooker on, ≥ 8× restic and borg).
 *
 * restic: RESTIC_PASSWORD, `restic init`, `restic backup FILE` (its default: zstd auto, encrypted).
 * borg:   `borg init -e none`, `borg create --compression lz4`.
 * Reports wall time, MB/s, peak RSS and the ratios peer ÷ datamover.
 */
import { existsSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../src/core/size.js';
import { generateDisk } from '../src/fixtures/generate-disk.js';
import { CLI, MiB, OUT, arg, mbps, measureCommand, mixedImage, pinImage, warm } from './backup-bench-util.js';
import type { Measured } from './backup-bench-util.js';

const runs = Number(arg('runs', '1'));

async function ntfsImage(size: number): Promise<string> {
  const path = join(OUT, `ntfs-${size / MiB}MiB-s1.vhdx`);
  if (!existsSync(path)) await generateDisk({ out: path, seed: 1, diskSize: size, format: 'vhdx' });
  return path;
}

async function main(): Promise<void> {
  const explicit = arg('image', '');
  const ntfs = arg('ntfs', '');
  const image =
    explicit || (ntfs ? await ntfsImage(parseSize(ntfs)) : await mixedImage(parseSize(arg('size', '2GiB'))));
  const { statSync } = await import('node:fs');
  const bytes = statSync(image).size;
  console.log(`page cache: ${pinImage(image)}`);
  const repos = { dm: join(OUT, 'peer-dm'), restic: join(OUT, 'peer-restic'), borg: join(OUT, 'peer-borg') };
  const env = {
    RESTIC_PASSWORD: 'bench',
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  const results: Record<string, Measured[]> = { datamover: [], restic: [], borg: [] };
  for (let run = 0; run < runs; run++) {
    for (const r of Object.values(repos)) rmSync(r, { recursive: true, force: true });
    warm(image);
    results['datamover']!.push(
      measureCommand(process.execPath, [CLI, 'backup', '--repo', repos.dm, '--disk', image, '--json']),
    );
    measureCommand('restic', ['init', '--repo', repos.restic], env);
    warm(image);
    results['restic']!.push(
      measureCommand('restic', ['backup', '--repo', repos.restic, '--quiet', image], env),
    );
    measureCommand('borg', ['init', '-e', 'none', repos.borg], env);
    warm(image);
    results['borg']!.push(
      measureCommand('borg', ['create', '--compression', 'lz4', `${repos.borg}::a`, image], env),
    );
  }
  const best = (m: Measured[]) => m.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  const dm = best(results['datamover']!);
  console.log(
    `image ${image}: ${(bytes / MiB).toFixed(0)} MiB; runs ${runs} (best wall shown); load average ${loadavg()[0]!.toFixed(1)}`,
  );
  for (const [name, ms] of Object.entries(results)) {
    const m = best(ms);
    console.log(
      `${name.padEnd(10)} ${(m.wallMs / 1000).toFixed(2).padStart(7)} s  ${String(mbps(bytes, m.wallMs)).padStart(7)} MB/s  ` +
        `peak RSS ${m.peakRssMiB} MiB  ${name === 'datamover' ? '' : `datamover is ${(m.wallMs / dm.wallMs).toFixed(2)}× faster`}`,
    );
  }
  const json = JSON.parse(dm.stdout) as { stats: { bottleneck: unknown; compressionRatio: number } };
  console.log(
    'datamover bottleneck',
    JSON.stringify(json.stats.bottleneck),
    'compression',
    json.stats.compressionRatio,
  );
  for (const r of Object.values(repos)) rmSync(r, { recursive: true, force: true });
}

await main();
