import type { Command } from 'commander';
import { formatSize, points } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { readPasswordFile } from './backup.js';

export function registerPoints(program: Command): void {
  program
    .command('points')
    .description('list restore points (id, vm, disk, type, time, sizes)')
    .requiredOption('--repo <dir>', 'repository directory')
    .option('--password-file <file>', 'password of an encrypted repository (manifests are encrypted)')
    .option('--json', 'print one JSON document')
    .action(async (flags: { repo: string; passwordFile?: string; json?: boolean }) => {
      try {
        const password = readPasswordFile(flags.passwordFile);
        const r = await points({ repo: flags.repo, ...(password !== undefined ? { password } : {}) });
        printResult(!!flags.json, r, () =>
          r.points.length === 0
            ? 'no restore points'
            : r.points
                .map(
                  (p) =>
                    `${p.id}  ${p.time}  ${p.vm} disk ${p.disk}  ${p.type}  ${formatSize(p.virtualSize)} virtual, ` +
                    `${formatSize(p.stats.storedBytes)} stored  [${p.backupFile}]`,
                )
                .join('\n'),
        );
      } catch (err) {
        failAndExit(err);
      }
    });
}
