import type { Command } from 'commander';
import { parseSize, runDemo } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSignals } from '../progress.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the npm start job: an end-to-end run on an embedded default disk, in a temp directory')
    .option('--keep', 'keep the work directory')
    .option('--disk-size <size>', 'size of the generated guest disk (default 1GiB)')
    .option('--json', 'print one JSON document')
    .action(async (flags: { keep?: boolean; json?: boolean; diskSize?: string }) => {
      try {
        const result = await runDemo({
          ...(flags.keep ? { keep: true } : {}),
          signal: abortOnSignals(),
          ...(flags.diskSize !== undefined ? { diskSize: parseSize(flags.diskSize, '--disk-size') } : {}),
          onStep: (s) => {
            if (!flags.json)
              process.stdout.write(
                `✓ ${s.name.padEnd(22)} ${String(s.durationMs).padStart(6)} ms  ${s.detail}\n`,
              );
          },
        });
        printResult(!!flags.json, result, () =>
          result.workDir ? `work directory kept: ${result.workDir}` : 'demo finished; work directory removed',
        );
      } catch (err) {
        failAndExit(err);
      }
    });
}
