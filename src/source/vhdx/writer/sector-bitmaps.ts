/**
 * Sector bitmap blocks of a differencing child (formats.md §1.8): one 1 MiB block per chunk that
 * holds a PARTIALLY_PRESENT payload block; block b's bits sit (b mod chunkRatio) * (1 MiB /
 * chunkRatio) bytes in. Allocated at close, after the payload, at the end of the file.
 */
import type { FileHandle } from 'node:fs/promises';
import { SECTOR_BITMAP_BLOCK_SIZE } from '../format/constants.js';
import type { BlockMap } from './block-map.js';
import { writeFully } from './file-io.js';

/** Writes the bitmaps of `partialBlocks` (ascending); returns chunk → file offset of its SB block. */
export async function writeSectorBitmaps(
  fh: FileHandle,
  file: string,
  map: BlockMap,
  partialBlocks: readonly number[],
  chunkRatio: number,
): Promise<Map<number, number>> {
  const offsets = new Map<number, number>();
  if (partialBlocks.length === 0) return offsets;
  const block = new Uint8Array(SECTOR_BITMAP_BLOCK_SIZE);
  const slice = SECTOR_BITMAP_BLOCK_SIZE / chunkRatio;
  let i = 0;
  while (i < partialBlocks.length) {
    const chunk = Math.floor(partialBlocks[i]! / chunkRatio);
    block.fill(0);
    for (; i < partialBlocks.length && Math.floor(partialBlocks[i]! / chunkRatio) === chunk; i++) {
      const b = partialBlocks[i]!;
      block.set(map.partial.get(b)!, (b % chunkRatio) * slice);
    }
    const at = map.nextFree;
    map.nextFree += SECTOR_BITMAP_BLOCK_SIZE;
    await writeFully(fh, file, block, at);
    offsets.set(chunk, at);
  }
  return offsets;
}
