/**
 * Opens any supported disk image by content: `vhdxfile` at offset 0 is VHDX (differencing chains
 * resolved), known container formats we do not read are refused, anything else is a raw image.
 *
 * What is never read as raw without being asked (`format: 'raw'`): a file that looks like a damaged
 * VHDX — a VHDX header ("head" at 64 or 128 KiB) or region table ("regi" at 192 or 256 KiB) but no
 * `vhdxfile` at 0 — and a file named `.vhdx` / `.avhdx` that is not a VHDX. Both fail with
 * DM_ERR_VHDX_SIGNATURE: backing one up as raw would store VHDX metadata as a "disk" and lose the
 * guest's data layout. An empty file is no disk at all (DM_ERR_SOURCE_FORMAT_UNKNOWN).
 */
import fs from 'node:fs';
import { extname } from 'node:path';
import { dmError, fromSystemError } from '../errors.js';
import type { DiskSource } from './disk-source.js';
import { openRaw } from './raw-image.js';
import { openVhdx, type VhdxInfo } from './vhdx/reader/vhdx-source.js';
import { openRegularFile } from '../core/regular-file.js';
import { HEADER1_OFFSET, HEADER2_OFFSET, REGION1_OFFSET, REGION2_OFFSET } from './vhdx/format/constants.js';

/** How to read an input image: by content ('auto', the default), or forced. */
export type ImageFormatChoice = 'auto' | 'vhdx' | 'raw';
export const IMAGE_FORMAT_CHOICES: readonly ImageFormatChoice[] = ['auto', 'vhdx', 'raw'];

export interface OpenImageOptions {
  /** VHDX: replay an active log in memory (default true) or refuse with DM_ERR_VHDX_LOG_ACTIVE. */
  readonly replayLog?: boolean;
  /** Payload reads through the thread pool ('async', default) or blocking preads ('sync'). */
  readonly io?: 'async' | 'sync';
  /** 'auto' (default): by content, see above; 'raw' reads any regular file as a raw disk; 'vhdx' only VHDX. */
  readonly format?: ImageFormatChoice;
}

export type OpenedImage = DiskSource & { readonly info?: VhdxInfo };

/** Magic numbers of formats that must not be mistaken for raw disks. */
const FOREIGN: readonly { magic: string; name: string }[] = [
  { magic: 'QFI\xfb', name: 'qcow2' },
  { magic: 'KDMV', name: 'VMDK (sparse)' },
  { magic: 'conectix', name: 'VHD (dynamic)' },
  { magic: '<<< Oracle VM VirtualBox Disk Image >>>', name: 'VDI' },
];

/** VHDX structures past the file type identifier that survive a damaged identifier. */
const VHDX_MARKS: readonly { offset: number; magic: string; what: string }[] = [
  { offset: HEADER1_OFFSET, magic: 'head', what: 'header 1' },
  { offset: HEADER2_OFFSET, magic: 'head', what: 'header 2' },
  { offset: REGION1_OFFSET, magic: 'regi', what: 'region table 1' },
  { offset: REGION2_OFFSET, magic: 'regi', what: 'region table 2' },
];

interface Sniffed {
  readonly head: string;
  readonly size: number;
  /** VHDX structures found at their offsets (names), for a file without `vhdxfile` at 0. */
  readonly vhdxMarks: readonly string[];
}

function readAt(fd: number, length: number, position: number): string {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n).toString('latin1');
}

function sniff(path: string): Sniffed {
  const { fd, stat } = openRegularFile(path, 'image');
  try {
    const head = readAt(fd, 64, 0);
    const vhdxMarks = VHDX_MARKS.filter(
      (m) => m.offset + 4 <= stat.size && readAt(fd, 4, m.offset) === m.magic,
    ).map((m) => m.what);
    return { head, size: stat.size, vhdxMarks };
  } catch (err) {
    throw fromSystemError(err, 'read', path);
  } finally {
    fs.closeSync(fd);
  }
}

const VHDX_NAME = /\.a?vhdx$/i;

export async function openImage(path: string, options: OpenImageOptions = {}): Promise<OpenedImage> {
  const format = options.format ?? 'auto';
  if (!IMAGE_FORMAT_CHOICES.includes(format))
    throw dmError(
      'DM_ERR_ARG_INVALID',
      `the image format must be one of ${IMAGE_FORMAT_CHOICES.join(', ')}`,
      {
        field: 'format',
      },
    );
  const s = sniff(path);
  if (s.size === 0)
    throw dmError('DM_ERR_SOURCE_FORMAT_UNKNOWN', 'the image is empty (0 bytes): not a disk image', {
      file: path,
    });
  const raw = () => openRaw(path, options.io ? { io: options.io } : {});
  if (format === 'raw') return raw();
  const vhdxOptions = {
    ...(options.replayLog !== undefined ? { replayLog: options.replayLog } : {}),
    ...(options.io ? { io: options.io } : {}),
  };
  if (format === 'vhdx' || s.head.startsWith('vhdxfile')) return openVhdx(path, vhdxOptions);
  if (s.vhdxMarks.length > 0)
    throw dmError(
      'DM_ERR_VHDX_SIGNATURE',
      `the file type identifier is not "vhdxfile", yet the file holds VHDX ${s.vhdxMarks.join(', ')}: ` +
        'a damaged VHDX (only if it really is a raw disk, read it as one with --format raw)',
      { file: path, offset: 0, field: 'Signature' },
    );
  const foreign = FOREIGN.find((f) => s.head.startsWith(f.magic));
  if (foreign)
    throw dmError(
      'DM_ERR_SOURCE_FORMAT_UNKNOWN',
      `${foreign.name} images are not supported; convert to raw or VHDX`,
      {
        file: path,
        offset: 0,
      },
    );
  if (VHDX_NAME.test(path))
    throw dmError(
      'DM_ERR_VHDX_SIGNATURE',
      `the file is named ${extname(path)} but its file type identifier is not "vhdxfile": a damaged or mislabelled VHDX ` +
        '(only if it really is a raw disk, read it as one with --format raw)',
      { file: path, offset: 0, field: 'Signature' },
    );
  return raw();
}
