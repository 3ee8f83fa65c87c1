/**
 * Where a restore writes: a sparse raw file or a dynamic VHDX (source/vhdx/writer). Either way
 * the bytes go to a temp file of this command's own (O_EXCL, source/output-file.ts) first;
 * `finish` publishes it (never over a file that appeared meanwhile unless forced, never over a
 * non-regular one), `discard` deletes it, so a failed restore never leaves a file that looks
 * complete and never touches a file it did not create.
 */
import type { FileHandle } from 'node:fs/promises';
import { dmError, fromSystemError } from '../errors.js';
import { OutputTemp } from '../source/output-file.js';
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

async function rawSink(temp: OutputTemp, virtualSize: number): Promise<RestoreSink> {
  const tmp = temp.path;
  const fh: FileHandle = await temp.create('wx');
  try {
    await fh.truncate(virtualSize); // sparse: zero and skipped blocks are never written
  } catch (err) {
    await fh.close().catch(() => undefined);
    await temp.discard();
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
      } catch (err) {
        throw fromSystemError(err, 'write', tmp);
      }
      await temp.publish();
    },
    async discard() {
      await syncing;
      if (!closed) await fh.close().catch(() => undefined);
      closed = true;
      await temp.discard();
    },
  };
}

/** A VHDX holds whole logical sectors: a point of another size cannot become one. */
export function checkVhdxSize(virtualSize: number, what: string): void {
  if (virtualSize % VHDX_SECTOR !== 0)
    throw dmError(
      'DM_ERR_VHDX_WRITE_OPTION',
      `${what} is ${virtualSize} bytes, not a whole number of ${VHDX_SECTOR}-byte sectors: a VHDX ` +
        `cannot hold it bit-exact; restore it to a raw file (any name not ending in .vhdx)`,
      { field: 'virtualSize' },
    );
}

const VHDX_SECTOR = 512;

async function vhdxSink(temp: OutputTemp, virtualSize: number): Promise<RestoreSink> {
  const w = await createVhdx(temp.path, {
    virtualSize,
    subformat: 'dynamic',
    logicalSectorSize: VHDX_SECTOR,
    exclusive: true,
  });
  temp.created();
  return {
    write: (data, offset) => w.write(data, offset),
    async finish() {
      await w.close();
      await temp.publish();
    },
    async discard() {
      await w.abort();
      await temp.discard();
    },
  };
}

export interface SinkTarget {
  readonly out: string;
  /** Replace an existing regular file at `out` (never anything else). */
  readonly force: boolean;
}

/**
 * Opens the sink's temp file next to `out`, after removing leftovers of killed restores of the
 * same output (source/output-file.ts says which ones).
 */
export async function openSink(
  format: RestoreFormat,
  target: SinkTarget,
  virtualSize: number,
): Promise<RestoreSink> {
  const temp = await OutputTemp.prepare(target.out, target.force);
  return format === 'vhdx' ? vhdxSink(temp, virtualSize) : rawSink(temp, virtualSize);
}
