import type { Command } from 'commander';
import { DmError, formatSize, readPasswordFile, verify } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { printable } from '../printable.js';
import { abortOnSignals } from '../progress.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('health check: every block of every restore point reads, decrypts and matches its identity')
    .requiredOption('--repo <dir>', 'repository directory')
    .option('--password-file <file>', 'password of an encrypted repository')
    .option('--json', 'print one JSON document')
    .action(async (flags: { repo: string; passwordFile?: string; json?: boolean }) => {
      try {
        const password = readPasswordFile(flags.passwordFile);
        const r = await verify({
          repo: flags.repo,
          ...(password !== undefined ? { password } : {}),
          signal: abortOnSignals(),
        });
        printResult(!!flags.json, r, () =>
          [
            `${r.ok ? 'ok' : 'DAMAGED'}: ${r.points} point(s), ${r.packs} pack(s), ${r.frames} blob(s), ` +
              `${formatSize(r.bytes)} checked in ${(r.durationMs / 1000).toFixed(2)} s`,
            ...r.problems.flatMap((p) => [
              `${p.code}: ${printable(p.message)} [${printable(p.file)}]`,
              ...(p.repair ? [`  repair: ${printable(p.repair)}`] : []),
            ]),
            ...r.warnings.map((w) => `warning: ${printable(w)}`),
          ].join('\n'),
        );
        if (!r.ok) {
          const first = r.problems[0];
          throw new DmError(
            first?.code ?? 'DM_ERR_REPO_CORRUPT',
            `verify found ${r.problems.length} problem(s)`,
          );
        }
      } catch (err) {
        failAndExit(err);
      }
    });
}
