/** `datamover convert`: any supported image (chains resolved) to raw or VHDX. */
import { extname } from 'node:path';
import { dmError } from '../errors.js';
import { convertImage, type ConvertResult } from '../source/convert.js';
import { openImage, type ImageFormatChoice } from '../source/open-image.js';

export interface ConvertJobOptions {
  readonly image: string;
  /** How to read `image` (default 'auto': by content; a damaged or mislabelled VHDX is refused). */
  readonly format?: ImageFormatChoice;
  readonly out: string;
  /** Default: from the output's extension (`.vhdx` → vhdx, anything else → raw). */
  readonly to?: 'raw' | 'vhdx';
  readonly blockSize?: number;
  readonly subformat?: 'dynamic' | 'fixed';
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface ConvertJobResult extends ConvertResult {
  readonly image: string;
  readonly out: string;
  readonly to: 'raw' | 'vhdx';
  readonly virtualSize: number;
}

export async function convert(options: ConvertJobOptions): Promise<ConvertJobResult> {
  const to = options.to ?? (extname(options.out).toLowerCase() === '.vhdx' ? 'vhdx' : 'raw');
  if (to === 'raw' && (options.blockSize !== undefined || options.subformat !== undefined))
    throw dmError('DM_ERR_ARG_INVALID', '--block-size and --subformat apply only to --to vhdx', {
      field: 'to',
    });
  const source = await openImage(options.image, options.format ? { format: options.format } : {});
  try {
    const result = await convertImage(source, options.out, {
      to,
      ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
      ...(options.subformat !== undefined ? { subformat: options.subformat } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ...result, image: options.image, out: options.out, to, virtualSize: source.virtualSize };
  } finally {
    await source.close();
  }
}
