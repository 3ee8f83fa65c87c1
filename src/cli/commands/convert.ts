import type { Command } from 'commander';
import { convert, formatSize, parseSize } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { abortOnSignals, progressBar } from '../progress.js';
import { IMAGE_FORMATS, parseChoice } from './parse.js';

interface ConvertFlags {
  output: string;
  format?: string;
  to?: string;
  blockSize?: string;
  subformat?: string;
  force?: boolean;
  json?: boolean;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('read any supported image (differencing chains resolved) and write raw or VHDX')
    .argument('<image>', 'VHDX or raw disk image')
    .requiredOption('-o, --output <out>', 'output file')
    .option('--format <format>', 'auto | vhdx | raw: how to read the input image (default auto: by content)')
    .option('--to <format>', 'raw | vhdx (default: from the output extension)')
    .option('--block-size <size>', 'VHDX block size, 1MiB..256MiB (default 32MiB)')
    .option('--subformat <kind>', 'dynamic | fixed (default dynamic)')
    .option('--force', 'replace an existing regular file at the output (never a device, link or directory)')
    .option('--json', 'print one JSON document')
    .action(async (image: string, flags: ConvertFlags) => {
      const bar = progressBar('convert', !flags.json);
      try {
        const result = await convert({
          image,
          ...(flags.format !== undefined
            ? { format: parseChoice(flags.format, IMAGE_FORMATS, '--format') }
            : {}),
          out: flags.output,
          force: !!flags.force,
          ...(flags.to !== undefined ? { to: parseChoice(flags.to, ['raw', 'vhdx'] as const, '--to') } : {}),
          ...(flags.blockSize !== undefined ? { blockSize: parseSize(flags.blockSize, '--block-size') } : {}),
          ...(flags.subformat !== undefined
            ? { subformat: parseChoice(flags.subformat, ['dynamic', 'fixed'] as const, '--subformat') }
            : {}),
          onProgress: (done, total) => bar.update(done, total),
          signal: abortOnSignals(),
        });
        bar.stop();
        printResult(
          !!flags.json,
          result,
          () =>
            `wrote ${result.out} (${result.to}, ${formatSize(result.virtualSize)} virtual` +
            (result.virtualSize !== result.sourceVirtualSize
              ? `; the ${formatSize(result.sourceVirtualSize)} source padded with zeros to whole sectors`
              : '') +
            `): ` +
            `read ${formatSize(result.bytesRead)}, wrote ${formatSize(result.bytesWritten)} of data ` +
            `in ${(result.durationMs / 1000).toFixed(2)} s`,
        );
      } catch (err) {
        bar.stop();
        failAndExit(err);
      }
    });
}
