/**
 * createVhdx: writes a new dynamic, fixed or differencing VHDX (formats.md §1).
 *
 * Crash behaviour: the file identifier, region tables and metadata are written at creation, but
 * both headers stay zero until close() has written the BAT (and sector bitmaps) and flushed. A
 * process that dies before close() therefore leaves a file every reader rejects as "no valid
 * header" (never one that opens with a stale BAT); delete it and start over.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { dmError, fromSystemError } from '../../../errors.js';
import { randomGuid, type Guid } from '../format/guid.js';
import { BlockMap } from './block-map.js';
import { writeBat } from './bat-writer.js';
import { isSameFile, writeFully } from './file-io.js';
import { planLayout, type VhdxLayout } from './layout.js';
import {
  resolveWriteOptions,
  type ResolvedWriteOptions,
  type SectorSize,
  type VhdxWriteOptions,
} from './options.js';
import { readParentFacts, type ParentIdentity } from './parent-facts.js';
import { writeSectorBitmaps } from './sector-bitmaps.js';
import { encodeHeaderPair, encodeStaticStructures } from './structures.js';

export interface VhdxWriter {
  readonly path: string;
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly logicalSectorSize: SectorSize;
  readonly subformat: 'dynamic' | 'fixed';
  /** The DataWriteGuid the headers get at close: a child's parent_linkage to this file. */
  readonly dataWriteGuid: Guid;
  /**
   * Positional write; offset and length are multiples of the logical sector size, inside the disk.
   * Writes may come in any order and overlap in time (not in range).
   */
  write(data: Uint8Array, offset: number): Promise<void>;
  /** Writes the BAT and sector bitmaps, flushes, then both headers, and closes the file. */
  close(): Promise<void>;
  /** Gives up: closes and deletes the file. Safe to call after a failure, and more than once. */
  abort(): Promise<void>;
}

export async function createVhdx(path: string, options: VhdxWriteOptions): Promise<VhdxWriter> {
  if (options.parent && (await isSameFile(path, options.parent.path)))
    throw dmError('DM_ERR_VHDX_WRITE_OPTION', 'the child would overwrite its own parent', {
      file: path,
      field: 'parent',
    });
  const parent: ParentIdentity | undefined = options.parent
    ? await readParentFacts(options.parent.path)
    : undefined;
  const opts = resolveWriteOptions(options, parent);
  const layout = planLayout(opts);
  let fh: FileHandle;
  try {
    fh = await open(path, options.exclusive ? 'wx+' : 'w+');
  } catch (err) {
    throw fromSystemError(err, 'open', path);
  }
  const writer = new Writer(path, fh, opts, layout, parent);
  try {
    await writer.writeStaticStructures(options.creator);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer;
}

class Writer implements VhdxWriter {
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly logicalSectorSize: SectorSize;
  readonly subformat: 'dynamic' | 'fixed';
  readonly dataWriteGuid: Guid = randomGuid();
  private readonly map: BlockMap;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private inflight = 0;
  private drained: (() => void) | undefined;
  private failure: unknown;

  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly opts: ResolvedWriteOptions,
    private readonly layout: VhdxLayout,
    private readonly parent: ParentIdentity | undefined,
  ) {
    this.virtualSize = opts.virtualSize;
    this.blockSize = opts.blockSize;
    this.logicalSectorSize = opts.logicalSectorSize;
    this.subformat = opts.subformat;
    this.map = new BlockMap({
      payloadBlocks: layout.payloadBlocks,
      blockSize: opts.blockSize,
      logicalSectorSize: opts.logicalSectorSize,
      virtualSize: opts.virtualSize,
      differencing: parent !== undefined,
      dataStart: layout.dataStart,
      fixed: opts.subformat === 'fixed',
    });
  }

  /** File identifier, both region tables and the metadata region; the file sized to its data start. */
  async writeStaticStructures(creator: string | undefined): Promise<void> {
    const pieces = encodeStaticStructures(this.opts, this.layout, creator, this.path, this.parent);
    for (const { bytes, offset } of pieces) await writeFully(this.fh, this.path, bytes, offset);
    await this.truncate(this.map.nextFree);
  }

  async write(data: Uint8Array, offset: number): Promise<void> {
    if (this.state !== 'open') throw dmError('DM_ERR_INTERNAL', 'write after close', { file: this.path });
    const ss = this.opts.logicalSectorSize;
    if (offset % ss !== 0 || data.length % ss !== 0 || offset < 0 || offset + data.length > this.virtualSize)
      throw dmError(
        'DM_ERR_VHDX_WRITE_RANGE',
        `write of ${data.length} bytes at ${offset} is not ${ss}-byte aligned or ends past the virtual size ${this.virtualSize}`,
        { file: this.path, offset },
      );
    this.inflight++;
    try {
      await this.writeSegments(data, offset);
    } catch (err) {
      this.failure ??= err;
      throw err;
    } finally {
      if (--this.inflight === 0 && this.drained) this.drained();
    }
  }

  /** Splits by block, plans each segment synchronously, and merges file-contiguous segments. */
  private async writeSegments(data: Uint8Array, offset: number): Promise<void> {
    const bs = this.blockSize;
    let runStart = 0;
    let runLength = 0;
    let runFile = 0;
    for (let done = 0; done < data.length;) {
      const pos = offset + done;
      const b = Math.floor(pos / bs);
      const inBlock = pos - b * bs;
      const len = Math.min(bs - inBlock, data.length - done);
      if (this.map.plan(b, inBlock, len, data, done)) {
        const fileAt = this.map.fileOffset(b) + inBlock;
        if (runLength > 0 && runFile + runLength === fileAt && runStart + runLength === done)
          runLength += len;
        else {
          if (runLength > 0) await writeFully(this.fh, this.path, data, runFile, runStart, runLength);
          runStart = done;
          runLength = len;
          runFile = fileAt;
        }
      }
      done += len;
    }
    if (runLength > 0) await writeFully(this.fh, this.path, data, runFile, runStart, runLength);
  }

  async close(): Promise<void> {
    if (this.state !== 'open') throw dmError('DM_ERR_INTERNAL', 'close called twice', { file: this.path });
    this.state = 'closing';
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.failure !== undefined) {
      await this.abort();
      throw this.failure;
    }
    try {
      const partials = this.map.settlePartials();
      const bitmapOffsets = await writeSectorBitmaps(
        this.fh,
        this.path,
        this.map,
        partials,
        this.layout.chunkRatio,
      );
      await writeBat(this.fh, this.path, {
        map: this.map,
        chunkRatio: this.layout.chunkRatio,
        payloadBlocks: this.layout.payloadBlocks,
        entryCount: this.layout.batEntryCount,
        batOffset: this.layout.batOffset,
        bitmapOffsets,
      });
      if (this.opts.subformat === 'dynamic') await this.truncate(this.map.nextFree);
      await this.sync();
      // Headers last, each flushed: only now does the file become a valid VHDX.
      for (const { bytes, offset } of encodeHeaderPair(this.layout, this.dataWriteGuid))
        await writeFully(this.fh, this.path, bytes, offset);
      await this.sync();
      await this.fh.close();
      this.state = 'closed';
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.fh.close().catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }

  private async truncate(length: number): Promise<void> {
    try {
      await this.fh.truncate(length);
    } catch (err) {
      throw fromSystemError(err, 'write', this.path);
    }
  }

  private async sync(): Promise<void> {
    try {
      await this.fh.datasync();
    } catch (err) {
      throw fromSystemError(err, 'write', this.path);
    }
  }
}
