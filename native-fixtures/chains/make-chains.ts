/**
 * Hand-made VHDX differencing chains, written with our own writer (qemu cannot make them), with
 * golden facts computed from the in-memory expected contents — never from our reader.
 *
 *   node --import tsx native-fixtures/chains/make-chains.ts [outDir]   (default: this folder)
 *
 * Writes <chain>-<level>.vhdx(.gz) files (level 0 = base) and <chain>.json per chain. Each level's
 * file names its parent by a relative path in the same folder, so the set works wherever unpacked.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createVhdx } from '../../src/source/vhdx/writer/vhdx-writer.js';

const MiB = 1024 * 1024;

/** One write: `fill` 'zero' writes zeros; a number selects a compressible per-sector pattern. */
interface Write {
  readonly offset: number;
  readonly length: number;
  readonly fill: number | 'zero';
}

interface ChainSpec {
  readonly name: string;
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly logicalSectorSize: 512 | 4096;
  readonly description: string;
  /** Writes per level, base first. */
  readonly levels: readonly (readonly Write[])[];
  /** BAT payload states the writes are meant to produce (file level, block, state), checked by the test. */
  readonly intendedStates: readonly { level: number; block: number; state: number }[];
}

const S = { NotPresent: 0, Zero: 2, Full: 6, Partial: 7 } as const;

const CHAINS: ChainSpec[] = [
  {
    name: 'chain512',
    description: '3 levels, 512-byte sectors: partial sectors over the parent, a zeroed block, overwrites',
    virtualSize: 4 * MiB,
    blockSize: MiB,
    logicalSectorSize: 512,
    levels: [
      [
        { offset: 0, length: 2 * MiB, fill: 1 },
        { offset: 3 * MiB, length: 64 * 1024, fill: 2 },
      ],
      [
        { offset: 4096, length: 1536, fill: 3 }, // 3 sectors inside block 0: PARTIALLY_PRESENT
        { offset: MiB, length: MiB, fill: 'zero' }, // hides block 1 of the base: ZERO
        { offset: 2 * MiB + 512 * 5, length: 512, fill: 4 }, // block 2 absent in base: PARTIALLY_PRESENT
      ],
      [
        { offset: 4096 + 512, length: 512, fill: 'zero' }, // zero sector over child 1's data
        { offset: MiB + 8192, length: 4096, fill: 5 }, // partial write into child 1's ZERO block
        { offset: 3 * MiB, length: MiB, fill: 6 }, // whole block: FULLY_PRESENT
      ],
    ],
    intendedStates: [
      { level: 0, block: 2, state: S.NotPresent },
      { level: 1, block: 0, state: S.Partial },
      { level: 1, block: 1, state: S.Zero },
      { level: 1, block: 2, state: S.Partial },
      { level: 2, block: 0, state: S.Partial },
      { level: 2, block: 1, state: S.Partial },
      { level: 2, block: 3, state: S.Full },
    ],
  },
  {
    name: 'chain4k',
    description: '2 levels, 4096-byte logical sectors, odd virtual size (3 MiB + 8 KiB)',
    virtualSize: 3 * MiB + 8192,
    blockSize: MiB,
    logicalSectorSize: 4096,
    levels: [
      [
        { offset: 0, length: MiB, fill: 7 },
        { offset: 3 * MiB, length: 8192, fill: 8 }, // the short last block
      ],
      [
        { offset: 8192, length: 4096 * 3, fill: 9 }, // PARTIALLY_PRESENT over base data
        { offset: 2 * MiB, length: MiB, fill: 'zero' }, // ZERO over an absent block
        { offset: 3 * MiB + 4096, length: 4096, fill: 10 }, // partial over the short last block
      ],
    ],
    intendedStates: [
      { level: 1, block: 0, state: S.Partial },
      { level: 1, block: 2, state: S.Zero },
      { level: 1, block: 3, state: S.Partial },
    ],
  },
  {
    name: 'chain-deep',
    description: '5 levels (base + 4), 512-byte sectors, each level rewriting a sliding window',
    virtualSize: 2 * MiB,
    blockSize: MiB,
    logicalSectorSize: 512,
    levels: [0, 1, 2, 3, 4].map((l) => [
      { offset: l * 96 * 1024, length: 128 * 1024, fill: 20 + l },
      { offset: MiB + l * 512 * 3, length: 512 * (l + 1), fill: l % 2 === 0 ? 30 + l : ('zero' as const) },
    ]),
    intendedStates: [
      { level: 0, block: 0, state: S.Full },
      { level: 1, block: 0, state: S.Partial },
      { level: 4, block: 1, state: S.Partial },
    ],
  },
];

/** Compressible but position-dependent: one byte value per sector, never zero, varying by sector. */
function fillBytes(fill: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const at = offset + i;
    out[i] = ((fill * 37 + Math.floor(at / 512) * 11) % 255) + 1;
  }
  return out;
}

export async function makeChain(spec: ChainSpec, outDir: string): Promise<Record<string, unknown>> {
  const expected = new Uint8Array(spec.virtualSize);
  const files: string[] = [];
  let parent: string | undefined;
  for (const [level, writes] of spec.levels.entries()) {
    const file = `${spec.name}-${level}.vhdx`;
    const full = path.join(outDir, file);
    const writer = await createVhdx(full, {
      blockSize: spec.blockSize,
      logicalSectorSize: spec.logicalSectorSize,
      creator: 'datamover make-chains',
      ...(parent ? { parent: { path: parent } } : { virtualSize: spec.virtualSize }),
    });
    for (const w of writes) {
      const data = w.fill === 'zero' ? new Uint8Array(w.length) : fillBytes(w.fill, w.offset, w.length);
      await writer.write(data, w.offset);
      expected.set(data, w.offset);
    }
    await writer.close();
    files.push(file);
    parent = full;
  }
  return {
    name: spec.name,
    description: spec.description,
    files,
    top: files[files.length - 1],
    virtualSize: spec.virtualSize,
    blockSize: spec.blockSize,
    logicalSectorSize: spec.logicalSectorSize,
    levels: spec.levels,
    fillRecipe: 'byte at disk offset o for fill f: ((f*37 + floor(o/512)*11) % 255) + 1',
    intendedStates: spec.intendedStates,
    flattenedSha256: createHash('sha256').update(expected).digest('hex'),
    nonZeroBytes: expected.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0),
  };
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url)));
  for (const spec of CHAINS) {
    const facts = await makeChain(spec, outDir);
    for (const file of facts['files'] as string[]) {
      const full = path.join(outDir, file);
      writeFileSync(`${full}.gz`, gzipSync(readFileSync(full), { level: 9 }));
      rmSync(full);
    }
    writeFileSync(path.join(outDir, `${spec.name}.json`), `${JSON.stringify(facts, null, 2)}\n`);
    console.log(
      `${spec.name}: ${(facts['files'] as string[]).length} levels, sha256 ${String(facts['flattenedSha256'])}`,
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
