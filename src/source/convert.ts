/**
 * convertImage: copies any DiskSource (a VHDX, a flattened differencing chain, raw) into a new raw
 * or VHDX file. Only `present` extents are read; zero and absent ranges cost no I/O and stay holes
 * in the output (a sparse raw file, unallocated VHDX blocks). Data streams through one reused
 * buffer; all-zero runs inside present data are skipped too, as qemu-img convert does.
 *
 * The output is written to a temp file of this call's own (O_EXCL, output-file.ts) and published
 * only when complete: a failure or abort removes the temp and nothing else, and an existing file
 * is replaced only with `force` (and only if it is a regular file).
 *
 * A VHDX holds whole logical sectors: a source whose size is not a multiple of the sector is
 * padded with zeros up to the next one (as qemu-img does); `virtualSize` in the result says so.
 */
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { dmError, fromSystemError } from '../errors.js';
import type { DiskSource } from './disk-source.js';
import { OutputTemp } from './output-file.js';
import { createVhdx, type VhdxWriter } from './vhdx/writer/vhdx-writer.js';
import type { SectorSize, VhdxSubformat } from './vhdx/writer/options.js';
import { isSameFile } from './vhdx/writer/file-io.js';
import { isZeroRange } from './vhdx/writer/zero-check.js';

export interface ConvertOptions {
  readonly to: 'raw' | 'vhdx';
  /** VHDX only; default: the writer's (32 MiB). */
  readonly blockSize?: number;
  /** VHDX only; default 'dynamic'. */
  readonly subformat?: VhdxSubformat;
  /** VHDX only; default: the source's. */
  readonly logicalSectorSize?: SectorSize;
  /** Called after each piece with bytes of the virtual disk handled so far and the virtual size. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
  /** Replace an existing regular file at the output (never anything else). Default false. */
  readonly force?: boolean;
}

export interface ConvertResult {
  /** Virtual size of the output: the source's, rounded up to whole sectors for a VHDX. */
  readonly virtualSize: number;
  /** Data bytes written to the output (all-zero runs and holes excluded; no format overhead). */
  readonly bytesWritten: number;
  /** Bytes read from the source (present extents only). */
  readonly bytesRead: number;
  readonly durationMs: number;
}

/** Streaming buffer: large enough for few syscalls, small enough to stay in cache-friendly memory. */
const BUFFER_SIZE = 4 * 1024 * 1024;
/** Granularity at which all-zero runs inside present data are left as holes. */
const ZERO_SKIP_GRAIN = 64 * 1024;

interface Sink {
  write(data: Uint8Array, offset: number): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

export async function convertImage(
  source: DiskSource,
  outPath: string,
  options: ConvertOptions,
): Promise<ConvertResult> {
  const started = performance.now();
  if (options.to !== 'raw' && options.to !== 'vhdx')
    throw dmError('DM_ERR_ARG_INVALID', `convert target must be 'raw' or 'vhdx', got ${String(options.to)}`, {
      field: 'to',
    });
  if (await isSameFile(outPath, source.path))
    throw dmError('DM_ERR_OUTPUT_REFUSED', 'the output is the source image itself', { file: outPath });
  throwIfAborted(options.signal);
  const sectorSize = options.to === 'vhdx' ? (options.logicalSectorSize ?? source.logicalSectorSize) : 512;
  const virtualSize = options.to === 'vhdx' ? alignUp(source.virtualSize, sectorSize) : source.virtualSize;
  const temp = await OutputTemp.prepare(outPath, options.force ?? false);
  const sink =
    options.to === 'vhdx'
      ? await vhdxSink(source, temp, options, sectorSize)
      : await rawSink(temp, virtualSize);
  try {
    const counts = await copyPresent(source, sink, sectorSize, options);
    await sink.finish();
    return { ...counts, virtualSize, durationMs: performance.now() - started };
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

/** A piece of work: a sector-aligned window of present data to copy, or a range to skip. */
type Step =
  | { readonly copy: true; readonly at: number; readonly length: number; readonly readLength: number }
  | { readonly copy: false; readonly end: number };

/** Windows are sector-aligned for the VHDX writer; the part past the virtual end reads as zero. */
function* steps(source: DiskSource, sectorSize: number): Generator<Step> {
  const total = source.virtualSize;
  for (const extent of source.extents()) {
    const end = extent.offset + extent.length;
    if (extent.kind !== 'present') {
      yield { copy: false, end };
      continue;
    }
    for (let at = alignDown(extent.offset, sectorSize); at < end; at += BUFFER_SIZE) {
      const length = Math.min(BUFFER_SIZE, alignUp(end, sectorSize) - at);
      yield { copy: true, at, length, readLength: Math.min(length, total - at) };
    }
  }
}

/**
 * Double-buffered copy: the read of the next window overlaps the write of the previous one. A
 * buffer is refilled only after the write that used it has finished.
 */
async function copyPresent(
  source: DiskSource,
  sink: Sink,
  sectorSize: number,
  options: ConvertOptions,
): Promise<{ bytesWritten: number; bytesRead: number }> {
  const total = source.virtualSize;
  const buffers = [new Uint8Array(BUFFER_SIZE), new Uint8Array(BUFFER_SIZE)];
  let next = 0;
  let bytesRead = 0;
  let bytesWritten = 0;
  /** The write in flight; its promise is observed from the start (see below). */
  let pending: { write: Promise<number>; end: number } | undefined;
  const settle = async (): Promise<void> => {
    if (!pending) return;
    const { write, end } = pending;
    pending = undefined;
    bytesWritten += await write;
    options.onProgress?.(end, total);
  };
  try {
    for (const step of steps(source, sectorSize)) {
      throwIfAborted(options.signal);
      if (!step.copy) {
        await settle();
        options.onProgress?.(step.end, total);
        continue;
      }
      const buf = buffers[next]!;
      next ^= 1;
      await source.read(buf, step.at, step.readLength, 0);
      if (step.readLength < step.length) buf.fill(0, step.readLength, step.length);
      bytesRead += step.readLength;
      await settle();
      const write = writeNonZeroRuns(sink, buf.subarray(0, step.length), step.at);
      // Observed now: it may fail (ENOSPC) while the next read is awaited, before settle() awaits
      // it; unobserved, that rejection was "unhandled" and crashed the process. settle() and the
      // catch below still see the failure.
      write.catch(() => undefined);
      pending = { write, end: Math.min(step.at + step.length, total) };
    }
    await settle();
  } catch (err) {
    // Never leave a write running on a buffer (or a file) the caller is about to drop.
    await pending?.write.catch(() => undefined);
    throw err;
  }
  return { bytesWritten, bytesRead };
}

/** Writes the runs of `data` that are not all zero (at ZERO_SKIP_GRAIN); returns the bytes written. */
async function writeNonZeroRuns(sink: Sink, data: Uint8Array, offset: number): Promise<number> {
  let written = 0;
  let runStart = -1;
  const flush = async (runEnd: number): Promise<void> => {
    await sink.write(data.subarray(runStart, runEnd), offset + runStart);
    written += runEnd - runStart;
    runStart = -1;
  };
  for (let at = 0; at < data.length; at += ZERO_SKIP_GRAIN) {
    const zero = isZeroRange(data, at, Math.min(at + ZERO_SKIP_GRAIN, data.length));
    if (!zero && runStart < 0) runStart = at;
    else if (zero && runStart >= 0) await flush(at);
  }
  if (runStart >= 0) await flush(data.length);
  return written;
}

async function vhdxSink(
  source: DiskSource,
  temp: OutputTemp,
  options: ConvertOptions,
  sectorSize: SectorSize,
): Promise<Sink> {
  const writer: VhdxWriter = await createVhdx(temp.path, {
    virtualSize: alignUp(source.virtualSize, sectorSize),
    logicalSectorSize: sectorSize,
    physicalSectorSize: Math.max(sectorSize, source.physicalSectorSize) as SectorSize,
    ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
    ...(options.subformat !== undefined ? { subformat: options.subformat } : {}),
    exclusive: true,
  });
  temp.created();
  return {
    write: (d, o) => writer.write(d, o),
    async finish() {
      await writer.close();
      await temp.publish();
    },
    async abort() {
      await writer.abort();
      await temp.discard();
    },
  };
}

async function rawSink(temp: OutputTemp, size: number): Promise<Sink> {
  const fh: FileHandle = await temp.create('wx');
  try {
    await fh.truncate(size);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await temp.discard();
    throw fromSystemError(err, 'open', temp.out);
  }
  let closed = false;
  const io = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw fromSystemError(err, 'write', temp.out);
    }
  };
  return {
    async write(data, offset) {
      // The raw file was sized up front; a write past the virtual end is the padded tail: clip it.
      const length = Math.min(data.length, size - offset);
      for (let done = 0; done < length;) {
        const { bytesWritten } = await io(() => fh.write(data, done, length - done, offset + done));
        done += bytesWritten;
      }
    },
    async finish() {
      await io(() => fh.datasync());
      closed = true;
      await io(() => fh.close());
      await temp.publish();
    },
    async abort() {
      if (!closed) await fh.close().catch(() => undefined);
      closed = true;
      await temp.discard();
    },
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw dmError('DM_ERR_ABORTED', 'convert was aborted');
}

function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
