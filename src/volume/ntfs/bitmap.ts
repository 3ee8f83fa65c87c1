/** $Bitmap (record 6): one bit per cluster, 1 = in use. Scanned in bounded chunks into free runs. */
import { dmError } from '../../errors.js';
import type { Mft } from './mft.js';
import { AttrType } from './record.js';
import { readStream } from './stream.js';

/** Bitmap bytes read per step: bounded memory whatever the volume size. */
const CHUNK = 1 << 20;
/** Bytes compared natively at once against all-ones / all-zeros. */
const BLOCK = 4096;
const ONES = Buffer.alloc(BLOCK, 0xff);
const ZEROS = Buffer.alloc(BLOCK, 0);

/**
 * Most free runs kept. A badly fragmented volume could otherwise need one run per two clusters (8 Mi
 * runs for 64 GiB at 4 KiB); past this, the shortest runs are dropped, which only means reading
 * (and zeroing nothing of) a few more free clusters: always safe.
 */
export const MAX_FREE_RUNS = 1 << 18;

export interface FreeScan {
  readonly freeClusters: number;
  /** Free clusters left out of `free` to bound memory (0 normally). */
  readonly droppedClusters: number;
  /** Free cluster runs, ascending: [lcn0, len0, lcn1, len1, ...] (flat, to keep big lists compact). */
  readonly free: number[];
}

/** Reads the $Bitmap and reports free runs within [0, totalClusters). Throws DM_ERR_NTFS_BITMAP. */
export async function scanFreeClusters(mft: Mft): Promise<FreeScan> {
  const total = mft.boot.totalClusters;
  const file = mft.geo.source.path;
  const { attributes } = await mft.attributes(6);
  const data = await mft.stream(attributes, AttrType.data, '');
  const need = Math.ceil(total / 8);
  if (!data) throw dmError('DM_ERR_NTFS_BITMAP', '$Bitmap has no unnamed $DATA', { file, field: '$Bitmap' });
  if (data.dataSize < need || data.initializedSize < need) {
    throw dmError(
      'DM_ERR_NTFS_BITMAP',
      `$Bitmap holds ${Math.min(data.dataSize, data.initializedSize)} bytes, the volume needs ${need} (${total} clusters)`,
      { file, field: '$Bitmap data_size' },
    );
  }
  const scanner = new BitScanner(total);
  if (!data.nonResident) {
    scanner.feed(data.value!, 0);
  } else {
    const buf = new Uint8Array(Math.min(CHUNK, need + 3) & ~3);
    for (let pos = 0; pos < need; pos += buf.length) {
      const n = Math.min(buf.length, need - pos);
      // A hole in the bitmap would read as "all free": refuse it (allowSparse false).
      await readStream(mft.geo, data.runs, pos, n, buf, 0, 'DM_ERR_NTFS_BITMAP', '$Bitmap', false);
      scanner.feed(n === buf.length ? buf : buf.subarray(0, n), pos * 8);
    }
  }
  return scanner.finish();
}

/** Turns bitmap bytes into free runs; words of all-ones or all-zeros are taken whole. */
export class BitScanner {
  private freeStart = -1;
  private freeCount = 0;
  private free: number[] = [];
  /** Runs shorter than this are not kept (raised when the list fills). */
  private minRun = 1;
  private dropped = 0;

  constructor(
    private readonly total: number,
    private readonly maxRuns = MAX_FREE_RUNS,
  ) {}

  /** `bytes` covers clusters from `firstCluster` (a multiple of 8) on; bits past `total` are ignored. */
  feed(bytes: Uint8Array, firstCluster: number): void {
    const limit = Math.min(bytes.length * 8, this.total - firstCluster);
    if (limit <= 0) return;
    // Whole blocks of all-ones / all-zeros are recognised by a native compare (memcmp), so a typical
    // bitmap costs a few calls per 4 KiB instead of a loop iteration per word.
    const fullBlocks = Math.floor(limit / (BLOCK * 8));
    let done = 0;
    for (let b = 0; b < fullBlocks; b++) {
      const at = b * BLOCK;
      const view = Buffer.from(bytes.buffer, bytes.byteOffset + at, BLOCK);
      const c = firstCluster + at * 8;
      if (view.equals(ONES)) this.used(c);
      else if (view.equals(ZEROS)) this.unused(c, BLOCK * 8);
      else this.words(bytes, at, BLOCK * 8, c);
      done = at + BLOCK;
    }
    this.words(bytes, done, limit - done * 8, firstCluster + done * 8);
  }

  /** Scans `bits` bits from byte `at`: 32-bit words when aligned, then bytes, then single bits. */
  private words(bytes: Uint8Array, at: number, bits: number, firstCluster: number): void {
    if (bits <= 0) return;
    const aligned = (bytes.byteOffset + at) % 4 === 0;
    const words = aligned ? new Uint32Array(bytes.buffer, bytes.byteOffset + at, bits >>> 5) : undefined;
    let i = 0;
    if (words) {
      for (let w = 0; w < words.length; w++) {
        const v = words[w]!;
        const c = firstCluster + w * 32;
        if (v === 0xffffffff) this.used(c);
        else if (v === 0) this.unused(c, 32);
        else this.bits(v, c, 32);
      }
      i = words.length * 32;
    }
    for (; i < bits; i += 8) {
      const n = Math.min(8, bits - i);
      const v = bytes[at + (i >>> 3)]!;
      const c = firstCluster + i;
      if (n === 8 && v === 0xff) this.used(c);
      else if (n === 8 && v === 0) this.unused(c, 8);
      else this.bits(v, c, n);
    }
  }

  private used(c: number): void {
    if (this.freeStart >= 0) {
      const len = c - this.freeStart;
      if (len < this.minRun) this.dropped += len;
      else {
        this.free.push(this.freeStart, len);
        if (this.free.length > 2 * this.maxRuns) this.prune();
      }
      this.freeStart = -1;
    }
  }

  /** Doubles the minimum run length until at most half the limit remains. */
  private prune(): void {
    while (this.free.length > this.maxRuns) {
      this.minRun *= 2;
      const kept: number[] = [];
      for (let i = 0; i < this.free.length; i += 2) {
        const len = this.free[i + 1]!;
        if (len < this.minRun) this.dropped += len;
        else kept.push(this.free[i]!, len);
      }
      this.free = kept;
    }
  }

  private unused(c: number, n: number): void {
    if (this.freeStart < 0) this.freeStart = c;
    this.freeCount += n;
  }

  private bits(v: number, c: number, n: number): void {
    for (let b = 0; b < n; b++) {
      if ((v >>> b) & 1) this.used(c + b);
      else this.unused(c + b, 1);
    }
  }

  finish(): FreeScan {
    this.used(this.total);
    return { freeClusters: this.freeCount, droppedClusters: this.dropped, free: this.free };
  }
}
