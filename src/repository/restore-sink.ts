/**
 * Where a restore writes: a sparse raw file or a dynamic VHDX (source/vhdx/writer). Either way
 * the bytes go to a temp path first; `finish` renames it into place, `discard` deletes it, so a
 * failed restore never leaves a file that looks complete.
 */
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { createVhdx } from '../source/vhdx/writer/vhdx-writer.js';

export type RestoreFormat = 'raw' | 'vhdx';

export interface RestoreSink {
  write(data: Uint8Array, offset: number): Promise<void>;
  /**
   * Raw sinks: the temp file's descriptor and path, for worker threads that pwrite blocks
   * themselves (they report the bytes through `wrote`, which keeps the background writeback going).
   */
  readonly direct?: { readonly fd: number; readonly path: string; wrote(bytes: number): void };
  finish(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Start writeback in the background every this many bytes: an fdatasync of the whole output at the
 * end took ~0.6–0.8 s per GiB here (as long as the restore's own writes), done in steps it overlaps
 * with decoding and the final sync finds almost nothing left (bench/restore-verify.ts).
 */
const WRITEBACK_EVERY = 64 * 1024 * 1024;

export function tempPathFor(out: string): string {
  return join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
}

async function rawSink(out: string, tmp: string, virtualSize: number): Promise<RestoreSink> {
  let fh: FileHandle;
  try {
    fh = await open(tmp, 'w');
    await fh.truncate(virtualSize); // sparse: zero and skipped blocks are never written
  } catch (err) {
    throw fromSystemError(err, 'open', tmp);
  }
  let closed = false;
  let unsynced = 0;
  let syncing: Promise<void> | undefined;
  let syncError: unknown;
  const wrote = (bytes: number) => {
    unsynced += bytes;
    if (unsynced >= WRITEBACK_EVERY && !syncing && !closed) {
      unsynced = 0;
      // Not awaited: a failure is kept and thrown by finish (the output never appears).
      syncing = fh.datasync().then(
        () => void (syncing = undefined),
        (err: unknown) => void ((syncError ??= err), (syncing = undefined)),
      );
    }
  };
  return {
    direct: { fd: fh.fd, path: tmp, wrote },
    async write(data, offset) {
      let done = 0;
      try {
        while (done < data.length) {
          const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
          done += bytesWritten;
        }
      } catch (err) {
        throw fromSystemError(err, 'write', tmp);
      }
      wrote(done);
    },
    async finish() {
      try {
        await syncing;
        if (syncError) throw syncError;
        await fh.sync();
        closed = true;
        await fh.close();
        await rename(tmp, out);
      } catch (err) {
        throw fromSystemError(err, 'write', out);
      }
    },
    async discard() {
      await syncing;
      if (!closed) await fh.close().catch(() => undefined);
      closed = true;
      await unlink(tmp).catch(() => undefined);
    },
  };
}

async function vhdxSink(out: string, tmp: string, virtualSize: number): Promise<RestoreSink> {
  const w = await createVhdx(tmp, { virtualSize, subformat: 'dynamic', logicalSectorSize: 512 });
  return {
    write: (data, offset) => w.write(data, offset),
    async finish() {
      await w.close();
      try {
        await rename(tmp, out);
      } catch (err) {
        throw fromSystemError(err, 'write', out);
      }
    },
    discard: () => w.abort(),
  };
}

export function openSink(format: RestoreFormat, out: string, virtualSize: number): Promise<RestoreSink> {
  const tmp = tempPathFor(out);
  return format === 'vhdx' ? vhdxSink(out, tmp, virtualSize) : rawSink(out, tmp, virtualSize);
}
