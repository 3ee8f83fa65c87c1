/**
 * Seeded mutation fuzzing: flip bytes of valid small images in the headers, region tables, metadata,
 * parent locator, BAT and log (re-sealing checksums half the time so the decoders behind them run),
 * then open, map and read everything. Every outcome must be success or a DmError, never another
 * exception, and memory must stay bounded.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import {
  BatState,
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  HEADER_SIZE,
  MiB,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_TABLE_SIZE,
} from '../../src/source/vhdx/format/constants.js';
import { sealChecksum } from '../../src/source/vhdx/format/crc32c.js';
import { randomGuid } from '../../src/source/vhdx/format/guid.js';
import { writeBatEntry } from '../../src/source/vhdx/format/bat.js';
import { openVhdx } from '../../src/source/vhdx/reader/vhdx-source.js';
import {
  addActiveLog,
  buildVhdx,
  relativeLocator,
  scratch,
  writeAt,
  type BuiltVhdx,
} from './helpers/build-vhdx.js';

const { dir, cleanup } = scratch('vhdx-fuzz');
afterAll(cleanup);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Target {
  name: string;
  offset: number;
  length: number;
  /** Checksum field offset inside the structure, when it has one. */
  crcAt?: number;
}

function targets(img: BuiltVhdx): Target[] {
  return [
    { name: 'header1', offset: HEADER1_OFFSET, length: HEADER_SIZE, crcAt: 4 },
    { name: 'header2', offset: HEADER2_OFFSET, length: HEADER_SIZE, crcAt: 4 },
    { name: 'region1', offset: REGION1_OFFSET, length: REGION_TABLE_SIZE, crcAt: 4 },
    { name: 'region2', offset: REGION2_OFFSET, length: REGION_TABLE_SIZE, crcAt: 4 },
    { name: 'metadata table', offset: img.metadataOffset, length: 32 + 6 * 32 },
    { name: 'metadata items', offset: img.metadataOffset + 64 * 1024, length: 512 },
    { name: 'BAT', offset: img.batOffset, length: Math.min(img.bat.length, 4096) },
    { name: 'log', offset: img.logOffset, length: 3 * 4096 },
  ];
}

function readRange(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const out = new Uint8Array(length);
    readSync(fd, out, 0, length, offset);
    return out;
  } finally {
    closeSync(fd);
  }
}

function padded(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(0, length));
  return out;
}

const INTERESTING = [0, 1, 0xff, 0x7f, 0x80, 0x10, 0x06, 0x07, 0x04];

describe('VHDX fuzz', () => {
  // Three small valid images: a dynamic disk with an active log, and a differencing pair.
  const base = buildVhdx(path.join(dir, 'base.vhdx'), {
    virtualSize: 6 * MiB,
    blockSize: MiB,
    blocks: new Map([
      [0, { state: BatState.FullyPresent }],
      [2, { state: BatState.FullyPresent }],
      [3, { state: BatState.Zero }],
    ]),
  });
  addActiveLog(base, randomGuid(), [
    {
      sequenceNumber: 3n,
      flushedFileOffset: base.fileSize,
      lastFileOffset: base.fileSize,
      descriptors: [{ kind: 'data', fileOffset: base.batOffset, data: padded(base.bat, 4096) }],
    },
  ]);
  const childPath = path.join(dir, 'child.vhdx');
  const bits = new Uint8Array(256).map((_, i) => (i % 3 === 0 ? 0xff : i % 3 === 1 ? 0x0f : 0));
  const child = buildVhdx(childPath, {
    virtualSize: 8 * MiB,
    blockSize: MiB,
    parentLocator: relativeLocator(childPath, base),
    blocks: new Map([
      [0, { state: BatState.PartiallyPresent, bitmap: bits }],
      [1, { state: BatState.FullyPresent }],
      [2, { state: BatState.NotPresent }],
      [5, { state: BatState.Unmapped }],
    ]),
  });
  const images = [base, child];

  it('never throws anything but a DmError', async () => {
    const next = rng(0x5eed);
    const outcomes = new Map<string, number>();
    const buf = new Uint8Array(4 * MiB);
    const rss0 = process.memoryUsage().rss;
    for (let iter = 0; iter < 300; iter++) {
      const img = images[Math.floor(next() * images.length)]!;
      const all = targets(img);
      const t = all[Math.floor(next() * all.length)]!;
      const original = readRange(img.path, t.offset, t.length);
      const mutated = Uint8Array.from(original);
      const flips = 1 + Math.floor(next() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(next() * Math.min(t.length, next() < 0.7 ? 128 : t.length));
        mutated[at] =
          next() < 0.5 ? INTERESTING[Math.floor(next() * INTERESTING.length)]! : Math.floor(next() * 256);
      }
      if (t.name === 'BAT' && next() < 0.3)
        writeBatEntry(mutated, Math.floor(next() * 8), Math.floor(next() * 8), Math.floor(next() * 64) * MiB);
      if (t.crcAt !== undefined && next() < 0.5) sealChecksum(mutated, t.crcAt);
      writeAt(img.path, undefined, [{ offset: t.offset, data: mutated }]);
      let outcome = 'ok';
      try {
        const target = childPath === img.path || next() < 0.5 ? childPath : img.path;
        // A third of the opens page the BAT instead of holding it.
        const src = await openVhdx(target, next() < 0.33 ? { maxResidentBat: 0 } : {});
        try {
          let extents = 0;
          for (const e of src.extents()) if (++extents > 100000 || e.length < 0) break;
          const end = Math.min(src.virtualSize, 16 * MiB);
          for (let off = 0; off < end; off += buf.length)
            await src.read(buf, off, Math.min(buf.length, end - off));
        } finally {
          await src.close();
        }
      } catch (err) {
        if (!isDmError(err)) throw new Error(`iteration ${iter} (${t.name}): ${String(err)}`, { cause: err });
        outcome = err.code;
      } finally {
        writeAt(img.path, undefined, [{ offset: t.offset, data: original }]);
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    if (process.env['FUZZ_VERBOSE']) console.log(outcomes);
    // The fuzzer must reach both outcomes and a spread of decoders.
    expect(outcomes.get('ok')).toBeGreaterThan(0);
    expect(outcomes.size).toBeGreaterThan(5);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(300 * MiB);
  }, 120_000);
});
