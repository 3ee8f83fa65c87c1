/**
 * One file of a VHDX chain: maps virtual ranges to its payload blocks, its sector bitmaps and its
 * parent (formats.md §1.7–1.8), for reads and for the allocation map.
 */
import type { Extent } from '../../disk-source.js';
import type { ReadMapBuilder } from '../../../core/read-map.js';
import { BatState } from '../format/constants.js';
import type { BatTable } from './bat-table.js';
import type { ImageFile } from './image-file.js';
import { ReadMapSink, SegmentList, type SegmentSink } from './segments.js';
import type { ParsedVhdx } from './parse-vhdx.js';
import { bitAt, runEnd, SectorBitmapCache } from './sector-bitmap-cache.js';

export type IoMode = 'async' | 'sync';

export class VhdxLayer {
  readonly virtualSize: number;
  private readonly blockSize: number;
  private readonly chunkRatio: number;
  private readonly sectorSize: number;
  private readonly bat: BatTable;
  private readonly bitmaps: SectorBitmapCache;
  /** One sink for every map() call (the builder is set per call): no objects per block. */
  private readonly mapSink = new ReadMapSink();

  constructor(
    readonly file: ImageFile,
    readonly parsed: ParsedVhdx,
    readonly parent: VhdxLayer | undefined,
    private readonly io: IoMode,
  ) {
    const m = parsed.metadata;
    this.virtualSize = m.virtualSize;
    this.blockSize = m.blockSize;
    this.chunkRatio = parsed.geometry.chunkRatio;
    this.sectorSize = m.logicalSectorSize;
    this.bat = parsed.bat;
    this.bitmaps = new SectorBitmapCache(file, this.bat, parsed.geometry);
  }

  private entry(block: number): number {
    return block + Math.floor(block / this.chunkRatio);
  }

  private state(index: number): number {
    return this.bat.state(index);
  }

  private fileOffset(index: number): number {
    return this.bat.fileOffset(index);
  }

  /**
   * File offset of [vOffset, +length) when it lies wholly in FULLY_PRESENT blocks that are contiguous
   * in this file (the common case for sequential reads), else -1.
   */
  contiguousRun(vOffset: number, length: number): number {
    if (length === 0 || vOffset + length > this.virtualSize) return -1;
    const bs = this.blockSize;
    const first = Math.floor(vOffset / bs);
    const last = Math.floor((vOffset + length - 1) / bs);
    const index = this.entry(first);
    if (this.state(index) !== BatState.FullyPresent) return -1;
    const start = this.fileOffset(index);
    for (let b = first + 1; b <= last; b++) {
      const i = this.entry(b);
      if (this.state(i) !== BatState.FullyPresent || this.fileOffset(i) !== start + (b - first) * bs)
        return -1;
    }
    return start + (vOffset - first * bs);
  }

  /** One pread for a range `contiguousRun` accepted. */
  readRun(buf: Uint8Array, bufOffset: number, length: number, fileOffset: number): Promise<void> {
    return Promise.resolve(this.readFrom(this.file, buf, bufOffset, length, fileOffset));
  }

  private readFrom(
    file: ImageFile,
    buf: Uint8Array,
    bufOffset: number,
    length: number,
    fileOffset: number,
  ): Promise<void> | void {
    if (this.io === 'sync') return file.readSync(buf, bufOffset, length, fileOffset, 'payload');
    return file.readOnce(buf, bufOffset, length, fileOffset);
  }

  /**
   * Reads [vOffset, +length) of this layer's view (zeros past its end) into buf[bufOffset..]: the
   * segments `walk` finds, contiguous ones merged, one pread (or fill) each.
   */
  async read(buf: Uint8Array, bufOffset: number, vOffset: number, length: number): Promise<void> {
    const segments = new SegmentList();
    this.walk(segments, bufOffset, vOffset, length);
    for (let i = 0; i < segments.count; i++) {
      const { file, fileOffset, length: n, bufOffset: at } = segments.at(i);
      if (!file) {
        buf.fill(0, at, at + n);
        continue;
      }
      const pending = this.readFrom(file, buf, at, n, fileOffset);
      if (pending) await pending; // sync reads: no microtask per segment
    }
  }

  /** The read map of [vOffset, +length) landing at `bufOffset`: read's segments, done elsewhere. */
  map(into: ReadMapBuilder, bufOffset: number, vOffset: number, length: number): void {
    this.mapSink.into = into;
    this.walk(this.mapSink, bufOffset, vOffset, length);
  }

  /**
   * Where the bytes of [vOffset, +length) (landing at `bufOffset`) are, in order: in a file of the
   * chain (FULLY_PRESENT blocks, set sector-bitmap bits; NOT_PRESENT ranges go to the parent) or
   * zeros (zero-reading states, past the end, NOT_PRESENT with no parent). One walk for reads done
   * here (read) and for reads done by other threads (map), so the two cannot disagree.
   */
  private walk(sink: SegmentSink, bufOffset: number, vOffset: number, length: number): void {
    if (vOffset + length > this.virtualSize) {
      const keep = Math.max(0, this.virtualSize - vOffset);
      sink.zero(length - keep, bufOffset + keep);
      length = keep;
    }
    const bs = this.blockSize;
    while (length > 0) {
      const block = Math.floor(vOffset / bs);
      const inBlock = vOffset - block * bs;
      const n = Math.min(length, bs - inBlock);
      const index = this.entry(block);
      const state = this.state(index);
      if (state === BatState.FullyPresent)
        sink.file(this.file, this.fileOffset(index) + inBlock, n, bufOffset);
      else if (state === BatState.PartiallyPresent) {
        for (const { bit, from, to } of this.bitmapRuns(block, inBlock, n)) {
          const at = bufOffset + from - inBlock;
          if (bit) sink.file(this.file, this.fileOffset(index) + from, to - from, at);
          else if (this.parent) this.parent.walk(sink, at, block * bs + from, to - from);
          else sink.zero(to - from, at);
        }
      } else if (this.stateClass(block) === 2 && this.parent) this.parent.walk(sink, bufOffset, vOffset, n);
      else sink.zero(n, bufOffset);
      vOffset += n;
      bufOffset += n;
      length -= n;
    }
  }

  /** Runs of equal sector-bitmap bits over [inBlock, inBlock+length) of a partially present block. */
  private *bitmapRuns(
    block: number,
    inBlock: number,
    length: number,
  ): Generator<{ bit: number; from: number; to: number }> {
    const bits = this.bitmaps.slice(block);
    const ss = this.sectorSize;
    const end = inBlock + length;
    const lastSector = Math.ceil(end / ss);
    let sector = Math.floor(inBlock / ss);
    while (sector < lastSector) {
      const bit = bitAt(bits, sector);
      const stop = runEnd(bits, sector, lastSector, bit);
      yield { bit, from: Math.max(inBlock, sector * ss), to: Math.min(end, stop * ss) };
      sector = stop;
    }
  }

  /** How a block's state maps to the allocation map: 0 present, 1 zero, 2 not present, 3 partial. */
  private stateClass(block: number): number {
    const state = this.state(this.entry(block));
    if (state === BatState.FullyPresent) return 0;
    if (state === BatState.NotPresent) return 2;
    if (state === BatState.PartiallyPresent) return 3;
    return 1;
  }

  /**
   * Extents of [vOffset, +length) in this layer's view (absent past its end). Runs of blocks of one
   * class are emitted (or passed to the parent) as one extent, so huge sparse disks map quickly.
   */
  *extents(vOffset: number, length: number): Generator<Extent> {
    const requestedEnd = vOffset + length;
    const end = Math.min(requestedEnd, this.virtualSize);
    const bs = this.blockSize;
    while (vOffset < end) {
      const block = Math.floor(vOffset / bs);
      const cls = this.stateClass(block);
      let stop = Math.min(end, (block + 1) * bs);
      if (cls !== 3) {
        for (let b = block + 1; stop < end && this.stateClass(b) === cls; b++)
          stop = Math.min(end, (b + 1) * bs);
      }
      const n = stop - vOffset;
      if (cls === 0) yield { offset: vOffset, length: n, kind: 'present' };
      else if (cls === 1) yield { offset: vOffset, length: n, kind: 'zero' };
      else if (cls === 3) yield* this.partialExtents(block, vOffset - block * bs, n);
      else if (this.parent) yield* this.parent.extents(vOffset, n);
      else yield { offset: vOffset, length: n, kind: 'absent' };
      vOffset = stop;
    }
    // Past a smaller parent's end nothing was ever written.
    if (vOffset < requestedEnd) yield { offset: vOffset, length: requestedEnd - vOffset, kind: 'absent' };
  }

  private *partialExtents(block: number, inBlock: number, length: number): Generator<Extent> {
    const base = block * this.blockSize;
    for (const { bit, from, to } of this.bitmapRuns(block, inBlock, length)) {
      if (bit) yield { offset: base + from, length: to - from, kind: 'present' };
      else if (this.parent) yield* this.parent.extents(base + from, to - from);
      else yield { offset: base + from, length: to - from, kind: 'absent' };
    }
  }

  /** This layer and its ancestors, child first. */
  chain(): VhdxLayer[] {
    return [this, ...(this.parent ? this.parent.chain() : [])];
  }
}
