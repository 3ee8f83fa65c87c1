/**
 * convertImage: vhdx → raw, raw → vhdx, differencing chains flattened; outputs compared with qemu-img
 * (check, compare, and `qemu-img convert` output byte for byte) wherever qemu can read the input.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import { convertImage } from '../../src/source/convert.js';
import { openImage } from '../../src/source/open-image.js';
import { hasTool } from '../helpers/tools.js';
import { MiB, patternBytes, scratchDir, writeRawMirror } from './vhdx-writer-helpers.js';

const FIXTURES = fileURLToPath(new URL('../../native-fixtures/', import.meta.url));
const scratch = scratchDir('vhdx-convert');
afterAll(() => scratch.cleanup());
const at = (name: string) => path.join(scratch.dir, name);

function unpack(relative: string): string {
  const out = at(path.basename(relative, '.gz'));
  writeFileSync(out, gunzipSync(readFileSync(path.join(FIXTURES, relative))));
  return out;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function convert(input: string, out: string, opts: Parameters<typeof convertImage>[2]) {
  const src = await openImage(input);
  try {
    return await convertImage(src, out, opts);
  } finally {
    await src.close();
  }
}

/** A sparse raw disk: a few MiB of data, a long hole, data straddling 1 MiB boundaries, an odd tail. */
async function makeRaw(name: string, size: number): Promise<string> {
  const file = at(name);
  await writeRawMirror(file, size, [
    { offset: 0, data: patternBytes(1, 0, 3 * MiB) },
    { offset: 9 * MiB - 4096, data: patternBytes(2, 9 * MiB - 4096, 8192) },
    { offset: size - 700, data: patternBytes(3, size - 700, 700) },
  ]);
  return file;
}

describe('convertImage (our reader and writer only)', () => {
  it('raw → vhdx → raw reproduces the raw disk; zero ranges are not read', async () => {
    const raw = await makeRaw('plain.raw', 12 * MiB);
    const vhdx = at('plain.vhdx');
    const progress: [number, number][] = [];
    const r1 = await convert(raw, vhdx, {
      to: 'vhdx',
      blockSize: MiB,
      onProgress: (d, t) => progress.push([d, t]),
    });
    expect(r1.bytesWritten).toBe(3 * MiB + 3 * 65536); // whole non-zero 64 KiB grains only
    expect(progress.at(-1)).toEqual([12 * MiB, 12 * MiB]);
    expect(progress.every(([d], i) => i === 0 || d >= progress[i - 1]![0])).toBe(true);
    const back = at('plain-back.raw');
    const r2 = await convert(vhdx, back, { to: 'raw' });
    expect(sha256(back)).toBe(sha256(raw));
    // Only the six allocated 1 MiB blocks are read back (0-2, 8, 9, 11), never the absent ones.
    expect(r2.bytesRead).toBe(6 * MiB);
    expect(statSync(back).blocks * 512).toBeLessThan(5 * MiB);
  });

  it('flattens a differencing chain (chain512 fixture) to raw with the golden sha256, and to vhdx', async () => {
    const facts = JSON.parse(readFileSync(path.join(FIXTURES, 'chains/chain512.json'), 'utf8')) as {
      files: string[];
      top: string;
      flattenedSha256: string;
    };
    for (const f of facts.files) unpack(`chains/${f}.gz`);
    const raw = at('chain512-flat.raw');
    await convert(at(facts.top), raw, { to: 'raw' });
    expect(sha256(raw)).toBe(facts.flattenedSha256);
    const flatVhdx = at('chain512-flat.vhdx');
    await convert(at(facts.top), flatVhdx, { to: 'vhdx', blockSize: MiB, subformat: 'fixed' });
    const raw2 = at('chain512-flat2.raw');
    await convert(flatVhdx, raw2, { to: 'raw' });
    expect(sha256(raw2)).toBe(facts.flattenedSha256);
  });

  it('keeps 4096-byte sectors by default and rounds an odd raw size up to a whole sector', async () => {
    const facts = JSON.parse(readFileSync(path.join(FIXTURES, 'chains/chain4k.json'), 'utf8')) as {
      files: string[];
      top: string;
      flattenedSha256: string;
    };
    for (const f of facts.files) unpack(`chains/${f}.gz`);
    const out = at('chain4k-flat.vhdx');
    await convert(at(facts.top), out, { to: 'vhdx', blockSize: 2 * MiB });
    const src = await openImage(out);
    expect(src.logicalSectorSize).toBe(4096);
    await src.close();

    const odd = await makeRaw('odd.raw', 10 * MiB + 700);
    const oddVhdx = at('odd.vhdx');
    await convert(odd, oddVhdx, { to: 'vhdx', blockSize: MiB });
    const back = await openImage(oddVhdx);
    try {
      expect(back.virtualSize).toBe(10 * MiB + 1024);
      const tail = new Uint8Array(1024);
      await back.read(tail, 10 * MiB, 1024, 0);
      expect(Buffer.from(tail.subarray(0, 700)).equals(readFileSync(odd).subarray(10 * MiB))).toBe(true);
      expect(tail.subarray(700).every((b) => b === 0)).toBe(true);
    } finally {
      await back.close();
    }
  });

  it('refuses to write over its own source', async () => {
    const raw = await makeRaw('self.raw', 12 * MiB);
    const before = sha256(raw);
    const err = await convert(raw, raw, { to: 'vhdx' }).catch((e: unknown) => e);
    expect(isDmError(err, 'DM_ERR_OUTPUT_REFUSED')).toBe(true);
    expect(sha256(raw)).toBe(before);
  });

  it('aborts with DM_ERR_ABORTED and removes the partial output', async () => {
    const raw = await makeRaw('abort.raw', 12 * MiB);
    for (const to of ['raw', 'vhdx'] as const) {
      const out = at(`aborted.${to}`);
      const ac = new AbortController();
      const err = await convert(raw, out, { to, signal: ac.signal, onProgress: () => ac.abort() }).catch(
        (e: unknown) => e,
      );
      expect(isDmError(err, 'DM_ERR_ABORTED')).toBe(true);
      expect(existsSync(out)).toBe(false);
      // Nor its temp file (issue 14: output temps are the command's own and go with it).
      expect(readdirSync(path.dirname(out)).filter((n) => n.startsWith(`.aborted.${to}.partial-`))).toEqual(
        [],
      );
    }
    const pre = AbortSignal.abort();
    const err = await convert(raw, at('pre.raw'), { to: 'raw', signal: pre }).catch((e: unknown) => e);
    expect(isDmError(err, 'DM_ERR_ABORTED')).toBe(true);
    expect(existsSync(at('pre.raw'))).toBe(false);
  });
});

describe.skipIf(!hasTool('qemu-img'))('convertImage vs qemu-img', () => {
  const qemuFixtures = ['conv-dyn-8m', 'dyn-1m-odd', 'dyn-2m-holes', 'fixed-1m-odd', 'fixed-8m-zerostate'];
  for (const name of qemuFixtures) {
    it(`vhdx → raw equals qemu-img convert for ${name}`, async () => {
      const vhdx = unpack(`vhdx/${name}.vhdx.gz`);
      const ours = at(`${name}.ours.raw`);
      const theirs = at(`${name}.qemu.raw`);
      await convert(vhdx, ours, { to: 'raw' });
      execFileSync('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', vhdx, theirs]);
      expect(statSync(ours).size).toBe(statSync(theirs).size);
      expect(sha256(ours)).toBe(sha256(theirs));
    });
  }

  it('raw → vhdx (dynamic and fixed) passes qemu-img check and compares identical', async () => {
    const raw = await makeRaw('q.raw', 20 * MiB);
    for (const subformat of ['dynamic', 'fixed'] as const) {
      const out = at(`q-${subformat}.vhdx`);
      await convert(raw, out, { to: 'vhdx', subformat, blockSize: 2 * MiB });
      expect(spawnSync('qemu-img', ['check', '-f', 'vhdx', out]).status).toBe(0);
      const cmp = spawnSync('qemu-img', ['compare', '-f', 'vhdx', '-F', 'raw', out, raw], {
        encoding: 'utf8',
      });
      expect(cmp.stdout).toContain('Images are identical');
      // Same bytes as qemu's own conversion of our output.
      const viaQemu = at(`q-${subformat}.qemu.raw`);
      execFileSync('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', out, viaQemu]);
      expect(sha256(viaQemu)).toBe(sha256(raw));
    }
  });

  it('a flattened chain converted to vhdx is what qemu reads back', async () => {
    const facts = JSON.parse(readFileSync(path.join(FIXTURES, 'chains/chain-deep.json'), 'utf8')) as {
      files: string[];
      top: string;
      flattenedSha256: string;
    };
    for (const f of facts.files) unpack(`chains/${f}.gz`);
    const out = at('deep-flat.vhdx');
    await convert(at(facts.top), out, { to: 'vhdx', blockSize: MiB });
    expect(spawnSync('qemu-img', ['check', '-f', 'vhdx', out]).status).toBe(0);
    const viaQemu = at('deep-flat.qemu.raw');
    execFileSync('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', out, viaQemu]);
    expect(sha256(viaQemu)).toBe(facts.flattenedSha256);
  });
});
