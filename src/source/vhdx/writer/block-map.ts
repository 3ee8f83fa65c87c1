/**
 * In-memory BAT of a VHDX being written: per payload block its state, its file offset, and for
 * partially written blocks of a differencing child the sector bitmap slice. Pure bookkeeping, no
 * I/O: `plan()` decides synchronously (so concurrent writes never race on allocation) where a
 * write segment goes, allocating blocks at the end of the file.
 */
import { BatState, MiB } from '../format/constants.js';
import { isZeroRange } from './zero-check.js';

export interface BlockMapConfig {
  readonly payloadBlocks: number;
  readonly blockSize: number;
  readonly logicalSectorSize: number;
  readonly virtualSize: number;
  readonly differencing: boolean;
  /** First free 1 MiB-aligned file offset for payload blocks (dynamic), or the fixed data start. */
  readonly dataStart: number;
  readonly fixed: boolean;
}

export class BlockMap {
  readonly states: Uint8Array;
  /** File offset of each allocated block in MiB (0 = none). */
  readonly offsetsMiB: Uint32Array;
  /** Sector bitmap slices (1 bit per logical sector, LSB first) of PARTIALLY_PRESENT blocks. */
  readonly partial = new Map<number, Uint8Array>();
  /** Next free file offset (1 MiB aligned): the file ends here once closed. */
  nextFree: number;
  private readonly sectorsPerBlock: number;

  constructor(private readonly cfg: BlockMapConfig) {
    this.states = new Uint8Array(cfg.payloadBlocks);
    this.offsetsMiB = new Uint32Array(cfg.payloadBlocks);
    this.sectorsPerBlock = cfg.blockSize / cfg.logicalSectorSize;
    this.nextFree = cfg.dataStart;
    if (cfg.fixed) {
      this.states.fill(BatState.FullyPresent);
      for (let b = 0; b < cfg.payloadBlocks; b++)
        this.offsetsMiB[b] = (cfg.dataStart + b * cfg.blockSize) / MiB;
      this.nextFree = cfg.dataStart + cfg.payloadBlocks * cfg.blockSize;
    }
  }

  /** Bytes of block `b` inside the virtual disk (the last block may be short). */
  blockLength(b: number): number {
    return Math.min(this.cfg.blockSize, this.cfg.virtualSize - b * this.cfg.blockSize);
  }

  fileOffset(b: number): number {
    return this.offsetsMiB[b]! * MiB;
  }

  /**
   * Plans a write of `length` bytes at `inBlock` inside block `b`, the bytes being
   * `data[start..start+length)` (scanned for zeros only when it matters). Returns false when nothing needs writing (the block
   * already reads as those zeros), true when the data goes to fileOffset(b) + inBlock.
   */
  plan(b: number, inBlock: number, length: number, data: Uint8Array, start: number): boolean {
    const state = this.states[b]!;
    if (state === BatState.FullyPresent) return true;
    const whole = inBlock === 0 && length === this.blockLength(b);

    if (!this.cfg.differencing) {
      // Dynamic: NOT_PRESENT reads as zeros, so zero data needs no block.
      if (isZeroRange(data, start, start + length)) return false;
      this.allocate(b);
      this.states[b] = BatState.FullyPresent;
      return true;
    }

    // Differencing child: every write must be recorded, zeros included, or the parent shows through.
    if (state === BatState.PartiallyPresent) {
      this.markSectors(b, inBlock, length);
      return true;
    }
    // NOT_PRESENT or ZERO from here on.
    if (whole) {
      if (isZeroRange(data, start, start + length)) {
        this.states[b] = BatState.Zero;
        return false;
      }
      this.allocate(b);
      this.states[b] = BatState.FullyPresent;
      return true;
    }
    this.allocate(b);
    if (state === BatState.Zero) {
      // The rest of the block must stay zero, not the parent's: a fresh block is zero-filled.
      this.states[b] = BatState.FullyPresent;
    } else {
      this.states[b] = BatState.PartiallyPresent;
      this.partial.set(b, new Uint8Array(this.sectorsPerBlock / 8));
      this.markSectors(b, inBlock, length);
    }
    return true;
  }

  private allocate(b: number): void {
    this.offsetsMiB[b] = this.nextFree / MiB;
    this.nextFree += this.cfg.blockSize;
  }

  private markSectors(b: number, inBlock: number, length: number): void {
    const bits = this.partial.get(b)!;
    const ss = this.cfg.logicalSectorSize;
    let s = inBlock / ss;
    const end = (inBlock + length) / ss;
    // Leading bits up to a byte boundary, whole bytes, trailing bits.
    for (; s < end && (s & 7) !== 0; s++) bits[s >> 3]! |= 1 << (s & 7);
    if (s < end && end - s >= 8) {
      const wholeBytes = (end - s) >> 3;
      bits.fill(0xff, s >> 3, (s >> 3) + wholeBytes);
      s += wholeBytes * 8;
    }
    for (; s < end; s++) bits[s >> 3]! |= 1 << (s & 7);
  }

  /**
   * Final pass before the BAT is written: a partial block whose in-disk sectors are all written
   * becomes FULLY_PRESENT. Returns the blocks that stay PARTIALLY_PRESENT, ascending.
   */
  settlePartials(): number[] {
    const remaining: number[] = [];
    const ss = this.cfg.logicalSectorSize;
    for (const [b, bits] of this.partial) {
      if (allSet(bits, this.blockLength(b) / ss)) {
        this.states[b] = BatState.FullyPresent;
        this.partial.delete(b);
      } else remaining.push(b);
    }
    return remaining.sort((x, y) => x - y);
  }
}

function allSet(bits: Uint8Array, count: number): boolean {
  const full = count >> 3;
  for (let i = 0; i < full; i++) if (bits[i] !== 0xff) return false;
  const rest = count & 7;
  return rest === 0 || (bits[full]! & ((1 << rest) - 1)) === (1 << rest) - 1;
}
