/**
 * Serialises the in-memory BlockMap into BAT entries (payload entries interleaved with one sector
 * bitmap entry per chunk, formats.md §1.7), a bounded window at a time so a huge BAT never needs
 * one huge buffer.
 */
import type { FileHandle } from 'node:fs/promises';
import { BatState, MiB, SbState } from '../format/constants.js';
import { writeBatEntry } from '../format/bat.js';
import type { BlockMap } from './block-map.js';
import { writeFully } from './file-io.js';

const WINDOW_ENTRIES = (1 * MiB) / 8;

export interface BatWriteInput {
  readonly map: BlockMap;
  readonly chunkRatio: number;
  readonly payloadBlocks: number;
  readonly entryCount: number;
  readonly batOffset: number;
  /** File offset of each chunk's sector bitmap block, for chunks that have one. */
  readonly bitmapOffsets: ReadonlyMap<number, number>;
}

export async function writeBat(fh: FileHandle, file: string, input: BatWriteInput): Promise<void> {
  const { map, chunkRatio, payloadBlocks, entryCount } = input;
  const window = new Uint8Array(Math.min(WINDOW_ENTRIES, entryCount) * 8);
  const group = chunkRatio + 1;
  for (let first = 0; first < entryCount; first += WINDOW_ENTRIES) {
    const count = Math.min(WINDOW_ENTRIES, entryCount - first);
    window.fill(0);
    for (let k = 0; k < count; k++) {
      const i = first + k;
      const chunk = Math.floor(i / group);
      if (i % group === chunkRatio) {
        const sb = input.bitmapOffsets.get(chunk);
        if (sb !== undefined) writeBatEntry(window, k, SbState.Present, sb);
        continue;
      }
      const b = i - chunk;
      if (b >= payloadBlocks) continue;
      const state = map.states[b]!;
      if (state === BatState.NotPresent) continue;
      const present = state === BatState.FullyPresent || state === BatState.PartiallyPresent;
      // ZERO entries must carry offset 0: Hyper-V rejects others (formats.md §1.7).
      writeBatEntry(window, k, state, present ? map.fileOffset(b) : 0);
    }
    await writeFully(fh, file, window.subarray(0, count * 8), input.batOffset + first * 8);
  }
}
