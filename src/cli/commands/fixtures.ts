import type { Command } from 'commander';
import { formatSize, generateFixtures, parseSize, type FixturesResult } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSignals, progressBar } from '../progress.js';
import { parsePositiveInt } from './parse.js';

interface FixturesFlags {
  out: string;
  seed?: string;
  vms?: string;
  diskSize?: string;
  generations?: string;
  changeRate?: string;
  json?: boolean;
}

export function registerFixtures(program: Command): void {
  program
    .command('fixtures')
    .description(
      'generate a simulated infrastructure: VHDX disks with real NTFS guest volumes and an infra.json',
    )
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'seed: the same seed and sizes give byte-identical disks (default 1)')
    .option('--vms <n>', 'number of VMs, one disk each (default 2)')
    .option('--disk-size <size>', 'virtual size of each disk, at most 1TiB and 4TiB in all (default 4GiB)')
    .option('--generations <n>', 'generations of each disk (only generation 0 is built so far)')
    .option('--change-rate <f>', 'share of blocks changed per generation (with --generations)')
    .option('--json', 'print one JSON document')
    .action(async (flags: FixturesFlags) => {
      const bar = progressBar('fixtures', !flags.json);
      try {
        const changeRate = flags.changeRate === undefined ? undefined : Number(flags.changeRate);
        const result = await generateFixtures({
          outDir: flags.out,
          ...(flags.seed !== undefined ? { seed: parseSeed(flags.seed) } : {}),
          ...(flags.vms !== undefined ? { vms: parsePositiveInt(flags.vms, '--vms') } : {}),
          ...(flags.diskSize !== undefined ? { diskSize: parseSize(flags.diskSize, '--disk-size') } : {}),
          ...(flags.generations !== undefined
            ? { generations: parsePositiveInt(flags.generations, '--generations') }
            : {}),
          ...(changeRate !== undefined ? { changeRate } : {}),
          signal: abortOnSignals(),
          onProgress: (p) => bar.update(p.doneBytes, p.totalBytes),
        });
        bar.stop();
        printResult(!!flags.json, summarize(result), () => human(result));
      } catch (err) {
        bar.stop();
        failAndExit(err);
      }
    });
}

/**
 * A number when the seed is digits of a safe integer, else the text: a long digit string must not
 * collapse to a rounded number that another seed shares.
 */
function parseSeed(text: string): number | string {
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

/** JSON output names the files; per-file manifests stay in the *.manifest.json beside each disk. */
function summarize(r: FixturesResult) {
  return {
    outDir: r.outDir,
    infra: r.infraPath,
    disks: r.disks.map((d) => ({
      vm: d.vm,
      image: d.image,
      manifest: d.manifestPath,
      diskSize: d.manifest.diskSize,
      files: d.manifest.files.length,
      usedBytes: d.manifest.volume.usedClusters * d.manifest.volume.clusterSize,
    })),
    warnings: r.warnings,
  };
}

function human(r: FixturesResult): string {
  const lines = [`infra: ${r.infraPath}`];
  for (const d of r.disks) {
    const used = d.manifest.volume.usedClusters * d.manifest.volume.clusterSize;
    lines.push(
      `${d.vm}: ${d.image} (${formatSize(d.manifest.diskSize)}, ${d.manifest.files.length} files, ${formatSize(used)} in use)`,
    );
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
