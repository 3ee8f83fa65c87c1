/**
 * Opens any supported disk image by content: `vhdxfile` at offset 0 is VHDX (differencing chains
 * resolved), known container formats we do not read are refused, anything else is a raw image.
 */
import fs from 'node:fs';
import { dmError, fromSystemError } from '../errors.js';
import type { DiskSource } from './disk-source.js';
import { openRaw } from './raw-image.js';
import { openVhdx, type VhdxInfo } from './vhdx/reader/vhdx-source.js';
import { openRegularFile } from './regular-file.js';

export interface OpenImageOptions {
  /** VHDX: replay an active log in memory (default true) or refuse with DM_ERR_VHDX_LOG_ACTIVE. */
  readonly replayLog?: boolean;
  /** Payload reads through the thread pool ('async', default) or blocking preads ('sync'). */
  readonly io?: 'async' | 'sync';
}

export type OpenedImage = DiskSource & { readonly info?: VhdxInfo };

/** Magic numbers of formats that must not be mistaken for raw disks. */
const FOREIGN: readonly { magic: string; name: string }[] = [
  { magic: 'QFI\xfb', name: 'qcow2' },
  { magic: 'KDMV', name: 'VMDK (sparse)' },
  { magic: 'conectix', name: 'VHD (dynamic)' },
  { magic: '<<< Oracle VM VirtualBox Disk Image >>>', name: 'VDI' },
];

function sniff(path: string): string {
  const { fd } = openRegularFile(path);
  try {
    const head = Buffer.alloc(64);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).toString('latin1');
  } catch (err) {
    throw fromSystemError(err, 'read', path);
  } finally {
    fs.closeSync(fd);
  }
}

export async function openImage(path: string, options: OpenImageOptions = {}): Promise<OpenedImage> {
  const head = sniff(path);
  if (head.startsWith('vhdxfile')) return openVhdx(path, options);
  const foreign = FOREIGN.find((f) => head.startsWith(f.magic));
  if (foreign)
    throw dmError(
      'DM_ERR_SOURCE_FORMAT_UNKNOWN',
      `${foreign.name} images are not supported; convert to raw or VHDX`,
      {
        file: path,
        offset: 0,
      },
    );
  return openRaw(path, options.io ? { io: options.io } : {});
}
