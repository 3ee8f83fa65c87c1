/**
 * Hand-made differencing chains (native-fixtures/chains, made by make-chains.ts with our writer):
 * our reader's flattened content must hash to the golden sha256, which was computed from the
 * in-memory expected data, not from our reader. The BAT states each level was meant to exercise
 * (PARTIALLY_PRESENT, ZERO, ...) are checked through the format codec, so the fixtures keep
 * covering what they claim.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/source/open-image.js';
import { payloadEntryIndex, readBatState, batGeometry } from '../../src/source/vhdx/format/bat.js';
import { REGION1_OFFSET, REGION_GUID_BAT } from '../../src/source/vhdx/format/constants.js';
import { decodeRegionTable } from '../../src/source/vhdx/format/region-table.js';
import { scratchDir } from './vhdx-writer-helpers.js';

const CHAINS_DIR = fileURLToPath(new URL('../../native-fixtures/chains/', import.meta.url));

interface ChainFacts {
  name: string;
  files: string[];
  top: string;
  virtualSize: number;
  blockSize: number;
  logicalSectorSize: 512 | 4096;
  intendedStates: { level: number; block: number; state: number }[];
  flattenedSha256: string;
  nonZeroBytes: number;
}

const CHAINS = ['chain512', 'chain4k', 'chain-deep'].map(
  (name) => JSON.parse(readFileSync(path.join(CHAINS_DIR, `${name}.json`), 'utf8')) as ChainFacts,
);

describe('hand-made VHDX differencing chains (native-fixtures/chains)', () => {
  const scratch = scratchDir('vhdx-chains');
  afterAll(() => scratch.cleanup());

  for (const facts of CHAINS) {
    it(`${facts.name}: flattened content matches the golden sha256`, async () => {
      const images = facts.files.map((file) => {
        const bytes = gunzipSync(readFileSync(path.join(CHAINS_DIR, `${file}.gz`)));
        writeFileSync(path.join(scratch.dir, file), bytes);
        return new Uint8Array(bytes);
      });

      for (const s of facts.intendedStates) {
        const img = images[s.level]!;
        const bat = decodeRegionTable(img.subarray(REGION1_OFFSET), {
          file: facts.files[s.level]!,
          offset: REGION1_OFFSET,
        }).find((r) => r.guid === REGION_GUID_BAT)!;
        const geo = batGeometry(facts.virtualSize, facts.blockSize, facts.logicalSectorSize, s.level > 0);
        const entry = readBatState(
          img.subarray(bat.fileOffset, bat.fileOffset + bat.length),
          payloadEntryIndex(s.block, geo.chunkRatio),
        );
        expect({ ...s, actual: entry }).toEqual({ ...s, actual: s.state });
      }

      const src = await openImage(path.join(scratch.dir, facts.top));
      try {
        expect(src.virtualSize).toBe(facts.virtualSize);
        expect(src.logicalSectorSize).toBe(facts.logicalSectorSize);
        expect(src.info?.parentChain).toHaveLength(facts.files.length - 1);
        const flat = new Uint8Array(facts.virtualSize);
        await src.read(flat, 0, flat.length, 0);
        expect(createHash('sha256').update(flat).digest('hex')).toBe(facts.flattenedSha256);
        let inPresent = 0;
        for (const e of src.extents()) {
          const slice = flat.subarray(e.offset, e.offset + e.length);
          if (e.kind === 'present') inPresent += slice.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0);
          else expect(slice.every((b) => b === 0)).toBe(true);
        }
        expect(inPresent).toBe(facts.nonZeroBytes);
      } finally {
        await src.close();
      }
    });
  }
});
