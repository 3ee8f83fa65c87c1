import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DmError, backup, formatSize, parseSize, type BackupResult } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSigint, progressBar } from '../progress.js';
import { parseChoice, parsePositiveInt } from './parse.js';

// Shared by restore, verify and points (this file owns the password-file flag).
/** Reads a password file: its first line, without the line ending. Never echoed anywhere. */
export function readPasswordFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new DmError('DM_ERR_IO_OPEN', `cannot read the password file ${path}`);
  }
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (first.length === 0) throw new DmError('DM_ERR_ARG_INVALID', `the password file ${path} is empty`);
  return first;
}

interface BackupFlags {
  repo: string;
  disk?: string;
  infra?: string;
  job?: string;
  vm?: string;
  changes?: string;
  blockSize?: string;
  compression?: string;
  bitlooker: boolean;
  exclude?: string[];
  excludePagefile: boolean;
  excludeHiberfil: boolean;
  excludeSwapfile: boolean;
  passwordFile?: string;
  perVm?: boolean;
  full?: boolean;
  tasks?: string;
  threads?: string;
  json?: boolean;
}

const LEVELS = ['none', 'dedupe-friendly', 'optimal', 'high', 'extreme'] as const;

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('back up a disk image (--disk) into a repository; --infra jobs come later')
    .requiredOption('--repo <dir>', 'repository directory (created when missing)')
    .option('--disk <image>', 'one disk of one VM: a VHDX or raw image')
    .option('--infra <file>', 'infrastructure job (not built yet)')
    .option('--job <name>', 'job name: names the backup file (default "backup")')
    .option('--vm <name>', 'VM name (default: the image file name)')
    .option('--changes <map>', 'change map for an incremental (not built yet)')
    .option('--block-size <size>', '256KiB | 512KiB | 1MiB | 4MiB | 8MiB (default 1MiB)')
    .option('--compression <level>', `${LEVELS.join(' | ')} (default optimal)`)
    .option('--no-bitlooker', 'read free space and excluded files too')
    .option('--exclude <guestPath...>', 'guest file or directory to skip (repeatable; BitLooker)')
    .option('--no-exclude-pagefile', 'back up pagefile.sys (BitLooker skips it by default)')
    .option('--no-exclude-hiberfil', 'back up hiberfil.sys (BitLooker skips it by default)')
    .option('--no-exclude-swapfile', 'back up swapfile.sys (BitLooker skips it by default)')
    .option('--password-file <file>', 'encrypt (new repository) or unlock (existing one)')
    .option('--per-vm', 'per-VM backup files (dedup scope and writer per VM)')
    .option('--full', 'take a full point even when an earlier one exists')
    .option('--tasks <n>', 'max concurrent tasks')
    .option('--threads <n>', 'compute threads (default: one per core)')
    .option('--json', 'print one JSON document')
    .action(async (flags: BackupFlags) => {
      const bar = progressBar('backup', !flags.json);
      try {
        const password = readPasswordFile(flags.passwordFile);
        const result = await backup({
          repo: flags.repo,
          ...(flags.disk !== undefined ? { disk: flags.disk } : {}),
          ...(flags.infra !== undefined ? { infra: flags.infra } : {}),
          ...(flags.job !== undefined ? { job: flags.job } : {}),
          ...(flags.vm !== undefined ? { vm: flags.vm } : {}),
          ...(flags.changes !== undefined ? { changes: flags.changes } : {}),
          ...(flags.blockSize !== undefined ? { blockSize: parseSize(flags.blockSize, '--block-size') } : {}),
          ...(flags.compression !== undefined
            ? { compression: parseChoice(flags.compression, LEVELS, '--compression') }
            : {}),
          bitlooker: flags.bitlooker,
          ...(flags.exclude !== undefined ? { exclude: flags.exclude } : {}),
          excludeSwap: {
            pagefile: flags.excludePagefile,
            hiberfil: flags.excludeHiberfil,
            swapfile: flags.excludeSwapfile,
          },
          ...(password !== undefined ? { password } : {}),
          perVm: !!flags.perVm,
          full: !!flags.full,
          ...(flags.tasks !== undefined ? { tasks: parsePositiveInt(flags.tasks, '--tasks') } : {}),
          ...(flags.threads !== undefined ? { threads: Number(flags.threads) } : {}),
          onProgress: (e) => {
            if (e.totalBytes > 0) bar.update(e.doneBytes, e.totalBytes);
          },
          signal: abortOnSigint(),
        });
        bar.stop();
        printResult(!!flags.json, result, () => humanBackup(result));
      } catch (err) {
        bar.stop();
        failAndExit(err);
      }
    });
}

function humanBackup(r: BackupResult): string {
  const s = r.stats;
  const b = s.bottleneck;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const lines = r.points.map((p) => `point ${p.id}: ${p.vm} disk ${p.disk} (${p.type}) in ${p.backupFile}`);
  lines.push(
    `processed ${formatSize(s.processedBytes)}, read ${formatSize(s.readBytes)}, ` +
      `transferred ${formatSize(s.transferredBytes)}, backup size ${formatSize(s.backupSizeBytes)}`,
    `dedupe ${s.dedupeRatio}x, compression ${s.compressionRatio}x, ` +
      `${(s.durationMs / 1000).toFixed(2)} s, processing rate ${formatSize(s.processingRateBytesPerSec)}/s`,
    `bottleneck: source ${pct(b.source)} > proxy ${pct(b.proxy)} > network ${pct(b.network)} > ` +
      `target ${pct(b.target)} (primary: ${b.primary})`,
  );
  if (r.bitlooker.enabled)
    lines.push(
      `BitLooker: ${formatSize(r.bitlooker.skippedBytes)} left out (free space, swap, exclusions), ` +
        `${formatSize(r.bitlooker.usedBytes)} in use on NTFS`,
    );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
