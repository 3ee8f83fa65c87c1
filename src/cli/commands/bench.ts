import type { Command } from 'commander';
import { benchStages } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSignals } from '../progress.js';

/** `bench` groups benchmarks; `bench tasks` (scheduler sweeps) registers on the returned command. */
export function registerBench(program: Command): Command {
  const bench = program.command('bench').description('benchmarks on this machine');
  bench
    .command('stages')
    .description('single-core speed of identity hashing, each compression level and AES-256-GCM')
    .option('--json', 'print one JSON document')
    .action(async (flags: { json?: boolean }) => {
      try {
        const r = await benchStages({ signal: abortOnSignals() });
        printResult(!!flags.json, { blockSize: r.blockSize, stages: r.stages }, () => r.table);
      } catch (err) {
        failAndExit(err);
      }
    });
  return bench;
}
