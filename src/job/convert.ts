/**
 * `datamover convert`: any supported image (chains resolved) to raw or VHDX. The output target is
 * checked before anything is read (output-target.ts); the output is never the input image or a
 * file of its chain, even with `force`.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { dmError } from '../errors.js';
import { convertImage, type ConvertResult } from '../source/convert.js';
import { openImage, type ImageFormatChoice } from '../source/open-image.js';
import { checkOutputTarget } from './output-target.js';

export interface ConvertJobOptions {
  readonly image: string;
  /** How to read `image` (default 'auto': by content; a damaged or mislabelled VHDX is refused). */
  readonly format?: ImageFormatChoice;
  readonly out: string;
  /** Default: from the output's extension (`.vhdx` → vhdx, anything else → raw). */
  readonly to?: 'raw' | 'vhdx';
  readonly blockSize?: number;
  readonly subformat?: 'dynamic' | 'fixed';
  /**
   * Replace an existing regular file at `out` (CLI --force). Never a link, directory, device,
   * FIFO, socket, a file inside a repository or the input itself.
   */
  readonly force?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface ConvertJobResult extends ConvertResult {
  readonly image: string;
  readonly out: string;
  readonly to: 'raw' | 'vhdx';
  /** Virtual size of the input image (`virtualSize` is the output's: a VHDX rounds up to whole sectors). */
  readonly sourceVirtualSize: number;
}

export async function convert(options: ConvertJobOptions): Promise<ConvertJobResult> {
  const to = options.to ?? (extname(options.out).toLowerCase() === '.vhdx' ? 'vhdx' : 'raw');
  if (to === 'raw' && (options.blockSize !== undefined || options.subformat !== undefined))
    throw dmError('DM_ERR_ARG_INVALID', '--block-size and --subformat apply only to --to vhdx', {
      field: 'to',
    });
  const force = options.force ?? false;
  await refuseInput(options.out, [options.image]);
  await checkOutputTarget(options.out, force);
  const source = await openImage(options.image, options.format ? { format: options.format } : {});
  try {
    await refuseInput(options.out, source.info?.parentChain ?? []);
    const result = await convertImage(source, options.out, {
      to,
      force,
      ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
      ...(options.subformat !== undefined ? { subformat: options.subformat } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ...result, image: options.image, out: options.out, to, sourceVirtualSize: source.virtualSize };
  } finally {
    await source.close();
  }
}

/** The output must not be an input file (same device and inode; links followed), even with force. */
async function refuseInput(out: string, inputs: readonly string[]): Promise<void> {
  const o = await stat(out).catch(() => undefined);
  if (!o) return;
  for (const input of inputs) {
    const i = await stat(input).catch(() => undefined);
    if (i && i.dev === o.dev && i.ino === o.ino)
      throw dmError('DM_ERR_OUTPUT_REFUSED', `the output ${out} is the input image ${input}`, { file: out });
  }
}
