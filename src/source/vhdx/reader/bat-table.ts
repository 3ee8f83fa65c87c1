/**
 * The BAT in memory: wholly resident when it is small (every realistic disk), otherwise paged from
 * the file through a small LRU, so a huge (or forged) BAT never costs more than a fixed budget.
 * Entries are read as u32 halves (no BigInt): this sits on the per-block read path.
 */
import { BAT_ENTRY_SIZE } from '../format/bat.js';
import type { ImageFile } from './image-file.js';

/** BATs up to this size are loaded whole (64 TiB with 32 MiB blocks needs 16 MiB). */
export const MAX_RESIDENT_BAT = 32 * 1024 * 1024;
const PAGE_BYTES = 1024 * 1024;
const MAX_PAGES = 16;

export class BatTable {
  private readonly whole: DataView | undefined;
  private readonly pages = new Map<number, DataView>();
  /** The page used last: sequential access skips the LRU bookkeeping. */
  private lastPageNo = -1;
  private lastPage: DataView | undefined;

  constructor(
    private readonly file: ImageFile,
    private readonly batOffset: number,
    readonly entryCount: number,
    maxResident = MAX_RESIDENT_BAT,
  ) {
    const bytes = entryCount * BAT_ENTRY_SIZE;
    file.requireInside(batOffset, bytes, 'BAT');
    if (bytes <= maxResident) {
      const buf = file.readStruct(batOffset, bytes, 'BAT');
      this.whole = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
  }

  /** Whether the whole BAT is in memory (false: paged). */
  get resident(): boolean {
    return this.whole !== undefined;
  }

  /** u32 at BAT byte `byte` (4-aligned, so it never straddles a page). */
  private u32(byte: number): number {
    if (this.whole) return this.whole.getUint32(byte, true);
    const page = Math.floor(byte / PAGE_BYTES);
    if (page !== this.lastPageNo || !this.lastPage) {
      this.lastPage = this.page(page);
      this.lastPageNo = page;
    }
    return this.lastPage.getUint32(byte - page * PAGE_BYTES, true);
  }

  private page(page: number): DataView {
    const hit = this.pages.get(page);
    if (hit) {
      // LRU: move to the back.
      this.pages.delete(page);
      this.pages.set(page, hit);
      return hit;
    }
    let buf: Uint8Array;
    if (this.pages.size >= MAX_PAGES) {
      // Reuse the oldest page's buffer: every access is synchronous, so nobody still holds it.
      const [oldest, old] = this.pages.entries().next().value!;
      this.pages.delete(oldest);
      buf = new Uint8Array(old.buffer, 0, PAGE_BYTES);
    } else buf = new Uint8Array(PAGE_BYTES);
    const start = page * PAGE_BYTES;
    const len = Math.min(PAGE_BYTES, this.entryCount * BAT_ENTRY_SIZE - start);
    this.file.readSync(buf, 0, len, this.batOffset + start, 'BAT');
    const dv = new DataView(buf.buffer, 0, len);
    this.pages.set(page, dv);
    return dv;
  }

  /** Low u32 of entry `index`: state in bits 0–2, reserved 3–19, FileOffsetMB low bits 20–31. */
  lo(index: number): number {
    return this.u32(index * BAT_ENTRY_SIZE);
  }

  hi(index: number): number {
    return this.u32(index * BAT_ENTRY_SIZE + 4);
  }

  state(index: number): number {
    return this.u32(index * BAT_ENTRY_SIZE) & 7;
  }

  /** Byte offset of entry `index` (FileOffsetMB << 20). */
  fileOffset(index: number): number {
    return this.hi(index) * 0x100000000 + ((this.lo(index) & 0xfff00000) >>> 0);
  }
}
