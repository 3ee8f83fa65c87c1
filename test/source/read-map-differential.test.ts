/**
 * Read maps against reads (property): for random ranges, `readMapper().map()` run by
 * executeReadMap fills exactly the bytes `read()` gives — raw images, dynamic, fixed and
 * 4096-byte-sector VHDX from our writer, writer-made chains with sector bitmaps, the hand-made
 * native-fixtures chains and a codec-built chain with every BAT state and smaller parents. Maps
 * refuse what reads refuse, and no mapper is offered over a replayed log.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadMapBuilder, SEGMENT_FIELDS, ZERO_FILL_FD } from '../../src/core/read-map.js';
import { isDmError } from '../../src/errors.js';
import type { DiskSource } from '../../src/source/disk-source.js';
import { openImage, type OpenedImage } from '../../src/source/open-image.js';
import { BatState } from '../../src/source/vhdx/format/constants.js';
import { randomGuid } from '../../src/source/vhdx/format/guid.js';
import { openVhdx } from '../../src/source/vhdx/reader/vhdx-source.js';
import { createVhdx } from '../../src/source/vhdx/writer/vhdx-writer.js';
import { executeReadMap } from '../../src/workers/read-map-exec.js';
import { prng } from '../repository/helpers/disk.js';
import { addActiveLog, buildVhdx, MiB, pattern, relativeLocator } from './helpers/build-vhdx.js';
import type { BlockSpec } from './helpers/build-vhdx.js';
import { scratchDir } from './vhdx-writer-helpers.js';

const CHAINS = fileURLToPath(new URL('../../native-fixtures/chains/', import.meta.url));
const PAD = 4096;
const scratch = scratchDir('readmap-diff');
const at = (name: string) => path.join(scratch.dir, name);
afterAll(() => scratch.cleanup());

/** A seeded LCG: the images are the same on every run. */
function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 8) % n;
}

/** A chain from our writer: a base with large runs, then levels of sector-granular writes (partial blocks). */
async function writerChain(tag: string, levels: number, size: number, ss: 512 | 4096, fixed = false) {
  const rnd = lcg(size + levels + ss);
  const sectors = size / ss;
  let parent: string | undefined;
  for (let level = 0; level < levels; level++) {
    const file = at(`${tag}-${level}.vhdx`);
    const subformat = fixed ? ('fixed' as const) : ('dynamic' as const);
    const where = parent ? { parent: { path: parent } } : { virtualSize: size, subformat };
    const w = await createVhdx(file, { blockSize: MiB, logicalSectorSize: ss, ...where });
    for (let i = 0; i < (level === 0 ? 6 : 14); i++) {
      const start = rnd(sectors);
      const count = Math.min(sectors - start, 1 + rnd(level === 0 ? (2 * MiB) / ss : 300));
      const zero = rnd(5) === 0;
      await w.write(zero ? new Uint8Array(count * ss) : prng(level * 1000 + i, count * ss), start * ss);
    }
    await w.close();
    parent = file;
  }
  return parent!;
}

/** Block states by position, e.g. 'FZ.P' ('.' unset; P gets a random sector bitmap). */
function states(spec: string, sectors: number, seed: number): Map<number, BlockSpec> {
  const S = BatState;
  const code: Record<string, number> = { N: S.NotPresent, U: S.Undefined, Z: S.Zero, M: S.Unmapped };
  Object.assign(code, { F: S.FullyPresent, P: S.PartiallyPresent });
  const out = new Map<number, BlockSpec>();
  [...spec].forEach((c, b) => {
    if (c === 'P') out.set(b, { state: code[c]!, bitmap: pattern(sectors / 8, seed + b) });
    else if (c !== '.') out.set(b, { state: code[c]! });
  });
  return out;
}

/** Codec-built chain: parents smaller than the child, 2 MiB middle blocks, every BAT state. */
function codecChain(): string {
  const base = { virtualSize: 6 * MiB, blockSize: MiB, blocks: states('FFZ.FF', 0, 1) };
  const b = buildVhdx(at('codec-0.vhdx'), base);
  const mid = { virtualSize: 10 * MiB, blockSize: 2 * MiB, seed: 2, blocks: states('PNPUM', 4096, 7) };
  const m = buildVhdx(at('codec-1.vhdx'), { ...mid, parentLocator: relativeLocator(at('codec-1.vhdx'), b) });
  const top = { virtualSize: 13 * MiB, blockSize: MiB, seed: 3, blocks: states('.P...PF..Z..F', 2048, 9) };
  buildVhdx(at('codec-2.vhdx'), { ...top, parentLocator: relativeLocator(at('codec-2.vhdx'), m) });
  return at('codec-2.vhdx');
}

type ChainFacts = { files: string[]; top: string };
function nativeChain(name: string): string {
  const facts = JSON.parse(readFileSync(path.join(CHAINS, `${name}.json`), 'utf8')) as ChainFacts;
  for (const f of facts.files) writeFileSync(at(f), gunzipSync(readFileSync(path.join(CHAINS, `${f}.gz`))));
  return at(facts.top);
}

async function makeImages(): Promise<Record<string, () => Promise<DiskSource>>> {
  writeFileSync(at('raw.img'), prng(1, 3 * MiB + 777));
  const dynamic = await writerChain('dyn', 1, 8 * MiB, 512);
  const fixed = await writerChain('fixed', 1, 5 * MiB, 512, true);
  const chain = await writerChain('wchain', 3, 6 * MiB, 512);
  const chain4k = await writerChain('w4k', 2, 3 * MiB + 8192, 4096);
  const codec = codecChain();
  const native = ['chain512', 'chain4k', 'chain-deep'].map((n) => [n, nativeChain(n)] as const);
  return {
    'raw image (odd size)': () => openImage(at('raw.img')),
    'dynamic VHDX': () => openImage(dynamic),
    'fixed VHDX': () => openImage(fixed),
    'writer chain, depth 3': () => openImage(chain),
    'writer chain, 4096-byte sectors': () => openImage(chain4k),
    'codec chain, all BAT states': () => openImage(codec),
    'codec chain, paged BAT': () => openVhdx(codec, { maxResidentBat: 0 }),
    ...Object.fromEntries(native.map(([n, p]) => [`native ${n}`, () => openImage(p)])),
  };
}

/** Runs the source's map of [offset, +length) into buf at bufOffset; checks the segments tile it. */
function mapInto(src: DiskSource, buf: Uint8Array, offset: number, length: number, bufOffset: number) {
  const mapper = src.readMapper!()!;
  const b = new ReadMapBuilder();
  mapper.map(offset, length, bufOffset, b);
  const map = b.take();
  let next = bufOffset;
  let preads = 0;
  let tiles = true;
  for (let i = 0; i < map.length; i += SEGMENT_FIELDS) {
    tiles &&= map[i + 3] === next && map[i + 2]! > 0;
    next += map[i + 2]!;
    if (map[i] !== ZERO_FILL_FD) preads += map[i + 2]!;
  }
  expect({ tiles, end: next }).toEqual({ tiles: true, end: bufOffset + length });
  expect(executeReadMap(map, buf, mapper.paths)).toBe(preads);
  return preads;
}

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
    return 'no error';
  } catch (err) {
    return isDmError(err) ? err.code : `not a DmError: ${String(err)}`;
  }
}

let made: Awaited<ReturnType<typeof makeImages>> | undefined;
const images = async () => (made ??= await makeImages());

describe('read maps give the bytes read() gives', () => {
  const open: [string, DiskSource][] = [];
  beforeAll(async () => {
    for (const [name, openIt] of Object.entries(await images())) open.push([name, await openIt()]);
  });
  afterAll(async () => {
    for (const [, s] of open) await s.close();
  });

  it('the images hold what they claim', () => {
    const info = (n: string) => (open.find(([k]) => k === n)![1] as OpenedImage).info!;
    expect(open).toHaveLength(10);
    expect(info('fixed VHDX').metadata.leaveBlockAllocated).toBe(true);
    expect(info('dynamic VHDX').payloadStates).toMatchObject({ notPresent: 1, fullyPresent: 7 });
    for (const n of ['writer chain, depth 3', 'writer chain, 4096-byte sectors', 'codec chain, paged BAT'])
      expect(info(n).payloadStates.partiallyPresent).toBeGreaterThan(0);
    expect(info('writer chain, 4096-byte sectors').metadata.logicalSectorSize).toBe(4096);
    expect(info('codec chain, paged BAT').batResident).toBe(false);
  });

  it('for random ranges of every image', async () => {
    for (const [name, src] of open) {
      const size = src.virtualSize;
      const mapped = new Uint8Array(size + PAD);
      const read = new Uint8Array(size + PAD);
      const guard = new Uint8Array(size + PAD).fill(0xa5);
      const nearBoundary = fc
        .tuple(fc.nat({ max: Math.floor(size / (256 * 1024)) }), fc.integer({ min: -600, max: 600 }))
        .map(([b, d]) => Math.min(size, Math.max(0, b * 256 * 1024 + d)));
      const range = fc
        .record({
          offset: fc.oneof(fc.nat({ max: size }), nearBoundary),
          length: fc.oneof(fc.nat({ max: 5000 }), fc.nat({ max: 3 * MiB })),
          bufOffset: fc.nat({ max: PAD }),
        })
        .map((r) => ({ ...r, length: Math.min(r.length, size - r.offset) }));
      let preadBytes = 0;
      await fc.assert(
        fc.asyncProperty(range, async ({ offset, length, bufOffset }) => {
          mapped.fill(0xa5);
          read.fill(0x5a);
          preadBytes += mapInto(src, mapped, offset, length, bufOffset);
          await src.read(read, offset, length, bufOffset);
          const end = bufOffset + length;
          const same = Buffer.compare(mapped.subarray(bufOffset, end), read.subarray(bufOffset, end));
          expect({ name, offset, length, same }).toEqual({ name, offset, length, same: 0 });
          // Nothing outside the range was written.
          mapped.set(guard.subarray(bufOffset, bufOffset + length), bufOffset);
          expect(Buffer.compare(mapped, guard)).toBe(0);
        }),
        { numRuns: 60, examples: [[{ offset: 0, length: size, bufOffset: 0 }]] },
      );
      expect(preadBytes).toBeGreaterThan(0);
    }
  });

  it('refuses the ranges read() refuses, with the same code, adding nothing to the map', async () => {
    for (const [name, src] of open) {
      const size = src.virtualSize;
      const buf = new Uint8Array(64);
      const bad = [size - 10, 20, size, 1, -1, 1, size + 512, 0, 1.5, 8, 0, -1];
      for (let i = 0; i < bad.length; i += 2) {
        const [offset, length] = [bad[i]!, bad[i + 1]!];
        const b = new ReadMapBuilder();
        const mapCode = await codeOf(() => src.readMapper!()!.map(offset, length, 0, b));
        const readCode = await codeOf(() => src.read(buf, offset, length, 0));
        expect({ name, offset, mapCode }).toEqual({ name, offset, mapCode: readCode });
        expect(readCode).toBe('DM_ERR_SOURCE_RANGE');
        expect(b.take()).toHaveLength(0);
      }
    }
  });
});

describe('maps of sources that changed state', () => {
  it.each(['raw image (odd size)', 'dynamic VHDX'])('%s: closed, it refuses maps', async (name) => {
    const src = await (await images())[name]!();
    const mapper = src.readMapper!()!;
    await src.close();
    const readCode = await codeOf(() => src.read(new Uint8Array(512), 0, 512, 0));
    expect(readCode).toBe('DM_ERR_ARG_INVALID');
    // A map of a closed descriptor would make a worker read whatever file reuses that number.
    expect(await codeOf(() => mapper.map(0, 512, 0, new ReadMapBuilder()))).toBe(readCode);
  });

  it.each(['raw', 'vhdx'])('%s: a file shrunk after open fails mapped reads as reads', async (kind) => {
    const file = at(`shrink.${kind}`);
    const spec = { virtualSize: 4 * MiB, blockSize: MiB, blocks: states('...F', 0, 0) };
    if (kind === 'raw') writeFileSync(file, prng(9, 4 * MiB));
    const img = kind === 'vhdx' ? buildVhdx(file, spec) : undefined;
    const cut = (img?.blockOffsets.get(3) ?? 3 * MiB) + 4096; // inside block 3 (its payload for vhdx)
    const src = await openImage(file);
    try {
      truncateSync(file, cut);
      const buf = new Uint8Array(MiB);
      const readCode = await codeOf(() => src.read(buf, 3 * MiB, MiB, 0));
      expect(readCode).toBe('DM_ERR_SOURCE_TRUNCATED');
      expect(await codeOf(() => mapInto(src, buf, 3 * MiB, MiB, 0))).toBe(readCode);
    } finally {
      await src.close();
    }
  });
});

describe('no read mapper over a replayed log', () => {
  const spec = { virtualSize: 4 * MiB, blockSize: MiB, seed: 4, blocks: states('F', 0, 0) };
  function withLog(name: string) {
    const img = buildVhdx(at(name), spec);
    const entry = { sequenceNumber: 7n, flushedFileOffset: img.fileSize, lastFileOffset: img.fileSize };
    const zero = { kind: 'zero' as const, fileOffset: img.blockOffsets.get(0)! + 8192, zeroLength: 8192 };
    addActiveLog(img, randomGuid(), [{ ...entry, descriptors: [zero] }]);
    return img;
  }

  it('a log-free image maps; the same image with an active log replays and does not', async () => {
    const plain = await openVhdx(buildVhdx(at('nolog.vhdx'), spec).path);
    expect(plain.info.log).toBeUndefined();
    expect(plain.readMapper()).toBeDefined();
    await plain.close();
    const logged = await openVhdx(withLog('log.vhdx').path);
    expect(logged.info.log).toMatchObject({ entries: 1 });
    const buf = new Uint8Array(16384);
    await logged.read(buf, 0);
    expect(buf.subarray(8192).every((b) => b === 0) && buf.subarray(0, 8192).some((b) => b !== 0)).toBe(true);
    expect(logged.readMapper()).toBeUndefined();
    await logged.close();
  });

  it('nor over a chain whose parent has a replayed log', async () => {
    const parent = withLog('log-parent.vhdx');
    const child = at('log-child.vhdx');
    buildVhdx(child, { ...spec, parentLocator: relativeLocator(child, parent), blocks: new Map() });
    const src = await openVhdx(child);
    expect(src.info.parents[0]!.log).toMatchObject({ entries: 1 });
    expect(src.readMapper()).toBeUndefined();
    await src.close();
  });
});
