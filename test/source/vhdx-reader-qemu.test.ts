/**
 * Conformance: images made and written by qemu-img/qemu-io read byte-for-byte as `qemu-img convert`
 * sees them, and the allocation map agrees with the BAT and with `qemu-img map`.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Extent } from '../../src/source/disk-source.js';
import { openImage } from '../../src/source/open-image.js';
import { openVhdx } from '../../src/source/vhdx/reader/vhdx-source.js';
import { hasTool } from '../helpers/tools.js';
import { MiB, scratch } from './helpers/build-vhdx.js';
import { qemuImg, qemuIo, qemuMap, qemuRaw } from './helpers/qemu.js';

interface Case {
  name: string;
  size: string;
  options: string;
  writes: string[];
  /** Expected count of FULLY_PRESENT payload blocks. */
  fullyPresent: number;
}

const cases: Case[] = [
  {
    name: 'dynamic 1 MiB blocks, default zero state',
    size: '24M',
    options: 'block_size=1M',
    writes: [
      'write -P 0xab 0 1536k',
      'write -P 0xcd 5M 100k',
      'write -P 0x11 7340544 4096',
      'write -z 12M 2M',
      'write -P 0x22 23M 1M',
    ],
    fullyPresent: 2 + 1 + 1 + 2 + 1,
  },
  {
    name: 'dynamic 8 MiB blocks, NOT_PRESENT entries',
    size: '40M',
    options: 'block_size=8M,block_state_zero=off',
    writes: ['write -P 0x5a 8M 512', 'write -P 0x6b 33M 3M', 'write -P 0x7c 20M 6M'],
    fullyPresent: 4,
  },
  {
    name: 'dynamic 32 MiB blocks, size not a block multiple',
    size: '50M',
    options: 'block_size=32M',
    writes: ['write -P 0x01 0 512', 'write -P 0x02 49M 1M', 'write -P 0x03 31M 2M'],
    fullyPresent: 2,
  },
  {
    name: 'fixed, block_state_zero=off',
    size: '20M',
    options: 'subformat=fixed,block_size=8M,block_state_zero=off',
    writes: ['write -P 0x9e 3M 9M', 'write -z 16M 1M'],
    fullyPresent: 3,
  },
  {
    name: 'fixed, default zero state',
    size: '16M',
    options: 'subformat=fixed,block_size=1M',
    writes: ['write -P 0x44 2M 1M'],
    fullyPresent: 1,
  },
];

function assertCoalesced(extents: Extent[], size: number): void {
  let at = 0;
  extents.forEach((e, i) => {
    expect(e.offset).toBe(at);
    expect(e.length).toBeGreaterThan(0);
    if (i > 0) expect(e.kind).not.toBe(extents[i - 1]!.kind);
    at += e.length;
  });
  expect(at).toBe(size);
}

describe.skipIf(!hasTool('qemu-img'))('VHDX reader vs qemu', () => {
  const { dir, cleanup } = scratch('vhdx-qemu');
  afterAll(cleanup);

  for (const c of cases) {
    it(c.name, async () => {
      const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}.vhdx`);
      qemuImg('create', '-q', '-f', 'vhdx', '-o', c.options, file, c.size);
      if (c.writes.length) qemuIo(file, 'vhdx', ...c.writes);
      const expected = qemuRaw(file, `${file}.raw`);

      for (const io of ['async', 'sync'] as const) {
        const src = await openVhdx(file, { io });
        try {
          expect(src.virtualSize).toBe(expected.length);
          expect(src.info.payloadStates.fullyPresent).toBe(c.fullyPresent);
          expect(src.info.warnings).toEqual([]);
          const buf = new Uint8Array(MiB);
          for (let off = 0; off < src.virtualSize; off += MiB) {
            const n = Math.min(MiB, src.virtualSize - off);
            await src.read(buf, off, n);
            expect(Buffer.compare(buf.subarray(0, n), expected.subarray(off, off + n))).toBe(0);
          }
          // Unaligned reads across block and run boundaries, into an offset in the buffer.
          let x = 12345;
          const big = new Uint8Array(5 * MiB);
          for (let i = 0; i < 40; i++) {
            x = (x * 1103515245 + 12345) >>> 0;
            const off = x % src.virtualSize;
            const len = Math.min(src.virtualSize - off, (x >>> 8) % (3 * MiB));
            const at = x % 1000;
            await src.read(big, off, len, at);
            expect(Buffer.compare(big.subarray(at, at + len), expected.subarray(off, off + len))).toBe(0);
          }
        } finally {
          await src.close();
        }
      }

      const src = await openImage(file);
      try {
        const extents = [...src.extents()];
        assertCoalesced(extents, src.virtualSize);
        // Every byte we call not-present reads as zero; qemu's non-data ranges are never 'present'.
        for (const e of extents) {
          if (e.kind !== 'present')
            expect(expected.subarray(e.offset, e.offset + e.length).every((b) => b === 0)).toBe(true);
        }
        for (const m of qemuMap(file)) {
          if (m.data) continue;
          for (const e of src.extents(m.start, m.length)) expect(e.kind).not.toBe('present');
        }
        // Present = exactly the blocks qemu allocated: those the writes touched (or all, when fixed).
        const blockSize = src.info!.metadata.blockSize;
        const touched =
          c.options.includes('fixed,') && c.options.includes('zero=off')
            ? undefined
            : touchedBlocks(c.writes, blockSize);
        const blocks = Math.ceil(src.virtualSize / blockSize);
        const want: Extent[] = [];
        for (let b = 0; b < blocks; b++) {
          const kind =
            !touched || touched.has(b) ? 'present' : c.options.includes('zero=off') ? 'absent' : 'zero';
          const length = Math.min(blockSize, src.virtualSize - b * blockSize);
          const last = want[want.length - 1];
          if (last && last.kind === kind) want[want.length - 1] = { ...last, length: last.length + length };
          else want.push({ offset: b * blockSize, length, kind });
        }
        expect(extents).toEqual(want);
        // A sub-range is the clipped view of the whole map.
        const sub = [...src.extents(MiB + 7, 3 * MiB)];
        assertCoalescedRange(sub, MiB + 7, 3 * MiB);
      } finally {
        await src.close();
      }
    });
  }

  it('reads raw images through openImage', async () => {
    const file = path.join(dir, 'plain.raw');
    qemuImg('create', '-q', '-f', 'raw', file, '3M');
    qemuIo(file, 'raw', 'write -P 0x77 1M 4096');
    const src = await openImage(file);
    const buf = new Uint8Array(8192);
    await src.read(buf, MiB - 4096);
    expect(buf.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    expect(buf.subarray(4096).every((b) => b === 0x77)).toBe(true);
    expect([...src.extents()]).toEqual([{ offset: 0, length: 3 * MiB, kind: 'present' }]);
    await expect(src.read(buf, 3 * MiB - 100)).rejects.toMatchObject({ code: 'DM_ERR_SOURCE_RANGE' });
    await src.close();
  });

  it('refuses qcow2 instead of reading it as raw', async () => {
    const file = path.join(dir, 'x.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', file, '1M');
    await expect(openImage(file)).rejects.toMatchObject({ code: 'DM_ERR_SOURCE_FORMAT_UNKNOWN' });
  });
});

function parseQemuSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text)!;
  return Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1024 : MiB);
}

/** Blocks a list of `write [-P x | -z] OFF LEN` commands touches. */
function touchedBlocks(writes: readonly string[], blockSize: number): Set<number> {
  const out = new Set<number>();
  for (const w of writes) {
    const parts = w.split(' ');
    const off = parseQemuSize(parts[parts.length - 2]!);
    const len = parseQemuSize(parts[parts.length - 1]!);
    for (let b = Math.floor(off / blockSize); b <= Math.floor((off + len - 1) / blockSize); b++) out.add(b);
  }
  return out;
}

function assertCoalescedRange(extents: Extent[], offset: number, length: number): void {
  let at = offset;
  for (const e of extents) {
    expect(e.offset).toBe(at);
    at += e.length;
  }
  expect(at).toBe(offset + length);
}
