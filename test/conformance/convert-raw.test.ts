/**
 * convertImage to raw over every committed fixture's golden model (its recorded writes, allocated
 * as qemu's BAT says): the raw output must hash to the golden `qemu-img convert -O raw` sha256.
 * Needs no qemu and no image reader: it isolates convertImage's own copy loop.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertImage } from '../../src/source/convert.js';
import { loadGoldens, modelRead } from './golden.js';
import { firstDiff, MiB, scratchDir } from './helpers.js';
import { goldenSource } from './test-sources.js';

/** Larger fixtures would cost a multi-GiB scratch file read back for hashing. */
const MAX_SIZE = 64 * MiB;

describe('convertImage → raw, from the golden model of each qemu fixture', () => {
  const scratch = scratchDir('dm-conformance-convert-raw-');
  afterAll(() => scratch.remove());

  for (const g of loadGoldens().filter((x) => x.virtualSize <= MAX_SIZE)) {
    it(`${g.name}: raw output equals qemu's`, async () => {
      const out = join(scratch.dir, `${g.name}.raw`);
      await convertImage(goldenSource(g), out, { to: 'raw' });
      expect(statSync(out).size).toBe(g.virtualSize);
      const bytes = readFileSync(out);
      expect(firstDiff(bytes, modelRead(g.writes, 0, g.virtualSize)), 'first differing byte offset').toBe(-1);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(g.rawSha256);
    });
  }
});
