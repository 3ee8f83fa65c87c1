/**
 * In-memory replay of an active VHDX log (formats.md §1.9): file offset → 4 KiB sector contents, plus
 * zeroed ranges, applied on top of every read of the file. The source image is never written.
 */
import { LOG_SECTOR_SIZE } from '../format/constants.js';
import type { LogEntry } from '../format/log.js';

export class LogOverlay {
  private readonly sectors = new Map<number, Uint8Array>();
  private readonly zeros: { start: number; end: number }[] = [];
  /** Bounds of everything the overlay touches, so reads outside it skip all work. */
  private lo = Number.POSITIVE_INFINITY;
  private hi = 0;

  constructor(entries: readonly LogEntry[]) {
    for (const entry of entries) {
      for (const d of entry.descriptors) {
        if (d.kind === 'data') {
          this.sectors.set(d.fileOffset, d.data);
          this.widen(d.fileOffset, d.fileOffset + LOG_SECTOR_SIZE);
        } else if (d.zeroLength > 0) {
          const end = d.fileOffset + d.zeroLength;
          // A later zero range hides earlier data sectors; later data sectors win over it (map first).
          for (const off of [...this.sectors.keys()])
            if (off >= d.fileOffset && off < end) this.sectors.delete(off);
          this.zeros.push({ start: d.fileOffset, end });
          this.widen(d.fileOffset, end);
        }
      }
    }
  }

  get isEmpty(): boolean {
    return this.hi === 0;
  }

  private widen(start: number, end: number): void {
    this.lo = Math.min(this.lo, start);
    this.hi = Math.max(this.hi, end);
  }

  /** Patches `buf[bufOffset..+length]`, which holds file bytes from `fileOffset`, with the log's view. */
  apply(buf: Uint8Array, bufOffset: number, length: number, fileOffset: number): void {
    const end = fileOffset + length;
    if (end <= this.lo || fileOffset >= this.hi) return;
    for (const z of this.zeros) {
      const s = Math.max(z.start, fileOffset);
      const e = Math.min(z.end, end);
      if (s < e) buf.fill(0, bufOffset + s - fileOffset, bufOffset + e - fileOffset);
    }
    for (const [off, data] of this.sectors) {
      const s = Math.max(off, fileOffset);
      const e = Math.min(off + LOG_SECTOR_SIZE, end);
      if (s < e) buf.set(data.subarray(s - off, e - off), bufOffset + s - fileOffset);
    }
  }
}
