import type { Command } from 'commander';
import { DmError, formatSize, readPasswordFile, restore } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSignals, progressBar } from '../progress.js';

interface RestoreFlags {
  repo: string;
  vm: string;
  disk?: string;
  point?: string;
  output: string;
  passwordFile?: string;
  force?: boolean;
  json?: boolean;
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('restore one disk of one restore point to OUT (.vhdx or raw)')
    .requiredOption('--repo <dir>', 'repository directory')
    .requiredOption('--vm <name>', 'VM name')
    .option('--disk <n>', 'disk number (default 0)')
    .option('--point <id>', 'latest (default) or a point id')
    .requiredOption('-o, --output <out>', 'output file: .vhdx gives a VHDX, anything else raw')
    .option('--force', 'replace an existing regular file at OUT (never a device, link or directory)')
    .option('--password-file <file>', 'password of an encrypted repository')
    .option('--json', 'print one JSON document')
    .action(async (flags: RestoreFlags) => {
      const bar = progressBar('restore', !flags.json);
      try {
        const password = readPasswordFile(flags.passwordFile);
        const disk = flags.disk === undefined ? 0 : Number(flags.disk);
        if (!Number.isInteger(disk) || disk < 0)
          throw new DmError('DM_ERR_ARG_INVALID', `--disk must be a whole number ≥ 0; got "${flags.disk}"`);
        const result = await restore({
          repo: flags.repo,
          vm: flags.vm,
          disk,
          point: flags.point ?? 'latest',
          out: flags.output,
          force: !!flags.force,
          ...(password !== undefined ? { password } : {}),
          onProgress: (e) => {
            if (e.totalBytes > 0) bar.update(e.doneBytes, e.totalBytes);
          },
          signal: abortOnSignals(),
        });
        bar.stop();
        printResult(
          !!flags.json,
          result,
          () =>
            `restored point ${result.point.id} (${result.point.vm} disk ${result.point.disk}) to ${result.out} ` +
            `(${result.format}, ${formatSize(result.virtualSize)}) in ${(result.durationMs / 1000).toFixed(2)} s, ` +
            `${formatSize(result.rateBytesPerSec)}/s`,
        );
      } catch (err) {
        bar.stop();
        failAndExit(err);
      }
    });
}
