/** The disk of generation g in the crash test: a base disk with a few blocks changed per generation. */
import { makeDisk } from './disk.js';

export const CRASH_BLOCK = 256 * 1024;
const BLOCKS = 8;

export function crashDisk(g: number): Buffer {
  const disk = makeDisk(77, CRASH_BLOCK, BLOCKS, 2048);
  for (let i = 0; i < 3; i++) {
    const b = (g * 3 + i) % BLOCKS;
    disk.fill((g + i) & 0xff, b * CRASH_BLOCK + i * 999, b * CRASH_BLOCK + 70_000);
  }
  return disk;
}
