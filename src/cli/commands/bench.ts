import type { Command } from 'commander';
import { benchStages, formatSize } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSigint } from '../progress.js';

/** `bench` groups benchmarks; `bench tasks` (scheduler sweeps) registers on the returned command. */
export function registerBench(program: Command): Command {
  const bench = program.command('bench').description('benchmarks on this machine');
  bench
    .command('stages')
    .description('single-core speed of identity hashing, each compression level and AES-256-GCM')
    .option('--json', 'print one JSON document')
    .action(async (flags: { json?: boolean }) => {
      try {
        const r = await benchStages({ signal: abortOnSigint() });
        printResult(!!flags.json, r, () =>
          r.stages
            .map(
              (s) =>
                `${s.stage.padEnd(28)} ${formatSize(Math.round(s.bytesPerSec)).padStart(12)}/s` +
                (s.ratio !== undefined ? `  (output ${Math.round(s.ratio * 100)}% of input)` : ''),
            )
            .join('\n'),
        );
      } catch (err) {
        failAndExit(err);
      }
    });
  return bench;
}
