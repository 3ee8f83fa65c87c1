import type { Command } from 'commander';
import { MAX_COMPUTE_THREADS, MAX_TASKS, backup, parseSize, readPasswordFile } from '../../index.js';
import { humanBackup } from '../backup-report.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSignals, progressBar } from '../progress.js';
import { IMAGE_FORMATS, parseChoice, parseCount } from './parse.js';

// Shared by restore, verify and points, which import it from here (this file owns the flag).

interface BackupFlags {
  repo: string;
  disk?: string;
  format?: string;
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
    .option(
      '--format <format>',
      'auto | vhdx | raw: how to read --disk (default auto: by content; a damaged or mislabelled VHDX is refused)',
    )
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
    .option('--tasks <n>', `max concurrent tasks, 1..${MAX_TASKS}`)
    .option('--threads <n>', `compute threads, 0..${MAX_COMPUTE_THREADS} (default: one per core; 0: inline)`)
    .option('--json', 'print one JSON document')
    .action(async (flags: BackupFlags) => {
      const bar = progressBar('backup', !flags.json);
      try {
        const password = readPasswordFile(flags.passwordFile);
        const result = await backup({
          repo: flags.repo,
          ...(flags.disk !== undefined ? { disk: flags.disk } : {}),
          ...(flags.format !== undefined
            ? { format: parseChoice(flags.format, IMAGE_FORMATS, '--format') }
            : {}),
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
          ...(flags.tasks !== undefined ? { tasks: parseCount(flags.tasks, '--tasks', 1, MAX_TASKS) } : {}),
          ...(flags.threads !== undefined
            ? { threads: parseCount(flags.threads, '--threads', 0, MAX_COMPUTE_THREADS) }
            : {}),
          onProgress: (e) => {
            if (e.totalBytes > 0) bar.update(e.doneBytes, e.totalBytes);
          },
          signal: abortOnSignals(),
        });
        bar.stop();
        printResult(!!flags.json, result, () => humanBackup(result));
      } catch (err) {
        bar.stop();
        failAndExit(err);
      }
    });
}
