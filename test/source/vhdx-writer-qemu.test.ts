/**
 * Conformance with qemu: images our writer makes pass `qemu-img check`, compare identical to the
 * raw data written, and report the right virtual size. qemu 7.x opens only 512-byte-sector,
 * non-differencing VHDX, so those are what this file covers (4096 and differencing: round-trip tests).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVhdx } from '../../src/source/vhdx/writer/vhdx-writer.js';
import { hasTool } from '../helpers/tools.js';
import { MiB, patternBytes, scratchDir, shuffled } from './vhdx-writer-helpers.js';

interface Case {
  readonly blockSize: number;
  readonly virtualSize: number;
}

// Virtual sizes are deliberately not multiples of the block size (a short last block).
const CASES: Case[] = [
  { blockSize: 1 * MiB, virtualSize: 5 * MiB + 7 * 512 },
  { blockSize: 2 * MiB, virtualSize: 9 * MiB + 4096 },
  { blockSize: 32 * MiB, virtualSize: 70 * MiB + 512 },
  { blockSize: 256 * MiB, virtualSize: 300 * MiB + 3 * 512 },
];

type Pattern = 'sparse' | 'dense';

/** Sector-aligned [offset, length) ranges to write for a pattern; dense leaves one block-sized hole. */
function rangesFor(c: Case, pattern: Pattern): [number, number][] {
  const { blockSize: bs, virtualSize: size } = c;
  if (pattern === 'sparse') {
    return [
      [0, 512],
      [bs - 1024, 2048], // straddles the first block boundary
      [Math.floor(size / 2 / 512) * 512, 64 * 1024],
      [size - 512, 512], // the last sector, inside the short last block
    ];
  }
  const ranges: [number, number][] = [];
  const piece = 4 * MiB;
  const holeStart = Math.floor(size / bs / 2) * bs;
  for (let at = 0; at < size; at += piece) {
    const len = Math.min(piece, size - at);
    if (at + len <= holeStart || at >= holeStart + Math.min(bs, piece)) ranges.push([at, len]);
  }
  return ranges;
}

function qemu(args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8' });
}

describe.skipIf(!hasTool('qemu-img'))('VHDX writer: qemu-img conformance', () => {
  const scratch = scratchDir('vhdx-qemu');
  afterAll(() => scratch.cleanup());

  for (const c of CASES) {
    for (const subformat of ['dynamic', 'fixed'] as const) {
      for (const pattern of ['sparse', 'dense'] as const) {
        const name = `${subformat}, ${c.blockSize / MiB} MiB blocks, ${pattern}`;
        it(name, async () => {
          const base = path.join(scratch.dir, `${subformat}-${c.blockSize / MiB}-${pattern}`);
          const raw = await open(`${base}.raw`, 'w');
          await raw.truncate(c.virtualSize);
          const writer = await createVhdx(`${base}.vhdx`, {
            virtualSize: c.virtualSize,
            blockSize: c.blockSize,
            subformat,
            logicalSectorSize: 512,
          });
          for (const [offset, length] of shuffled(rangesFor(c, pattern), c.blockSize + pattern.length)) {
            const data = patternBytes(c.blockSize, offset, length);
            await raw.write(data, 0, length, offset);
            await writer.write(data, offset);
          }
          await raw.close();
          await writer.close();

          const check = spawnSync('qemu-img', ['check', '-f', 'vhdx', `${base}.vhdx`], { encoding: 'utf8' });
          expect(check.stderr + check.stdout).toContain('No errors were found');
          expect(check.status).toBe(0);
          const info = JSON.parse(qemu(['info', '--output=json', '-f', 'vhdx', `${base}.vhdx`])) as {
            'virtual-size': number;
            'cluster-size': number;
          };
          expect(info['virtual-size']).toBe(c.virtualSize);
          expect(info['cluster-size']).toBe(c.blockSize);
          const cmp = spawnSync(
            'qemu-img',
            ['compare', '-f', 'vhdx', '-F', 'raw', `${base}.vhdx`, `${base}.raw`],
            {
              encoding: 'utf8',
            },
          );
          expect(cmp.stdout).toContain('Images are identical');
          expect(cmp.status).toBe(0);
        });
      }
    }
  }

  // qemu 7.2 refuses 4096-byte logical sectors (ENOTSUP, formats.md §1.10). If a newer qemu opens
  // them, hold our 4K images to the same bar; otherwise insist it is exactly that refusal.
  it('4096-byte sectors: identical in qemu if it supports them, else refused as unsupported', async () => {
    const base = path.join(scratch.dir, 'sector4k');
    const size = 5 * MiB + 8192;
    const raw = await open(`${base}.raw`, 'w');
    await raw.truncate(size);
    const writer = await createVhdx(`${base}.vhdx`, {
      virtualSize: size,
      blockSize: MiB,
      logicalSectorSize: 4096,
    });
    for (const [offset, length] of [
      [0, 4096],
      [MiB - 4096, 8192],
      [size - 4096, 4096],
    ] as const) {
      const data = patternBytes(4096, offset, length);
      await raw.write(data, 0, length, offset);
      await writer.write(data, offset);
    }
    await raw.close();
    await writer.close();
    const info = spawnSync('qemu-img', ['info', '--output=json', '-f', 'vhdx', `${base}.vhdx`], {
      encoding: 'utf8',
    });
    if (info.status !== 0) {
      expect(info.stderr).toContain('Operation not supported');
      return;
    }
    expect((JSON.parse(info.stdout) as { 'virtual-size': number })['virtual-size']).toBe(size);
    expect(spawnSync('qemu-img', ['check', '-f', 'vhdx', `${base}.vhdx`]).status).toBe(0);
    const cmp = spawnSync('qemu-img', ['compare', '-f', 'vhdx', '-F', 'raw', `${base}.vhdx`, `${base}.raw`], {
      encoding: 'utf8',
    });
    expect(cmp.stdout).toContain('Images are identical');
  });
});
