import { describe, expect, it } from 'vitest';
import { isDmError } from '../../src/errors.js';
import { analyzeDisk } from '../../src/volume/analyze.js';
import { crc32 } from '../../src/core/crc32.js';
import { readPartitionTable } from '../../src/volume/partitions/read-table.js';
import { writeGpt, writeMbr } from './helpers/disk-builder.js';
import { memorySource } from './helpers/sources.js';

const MiB = 1024 * 1024;

async function tableError(disk: Uint8Array, lss: 512 | 4096 = 512): Promise<string> {
  try {
    await readPartitionTable(memorySource(disk, lss));
  } catch (err) {
    expect(isDmError(err, 'DM_ERR_PART_TABLE')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected DM_ERR_PART_TABLE');
}

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('MBR', () => {
  it('reports primaries with their types, and logicals through an EBR chain', async () => {
    const disk = new Uint8Array(8 * MiB);
    writeMbr(disk, 0, [
      { type: 0x07, startLba: 2048, sectors: 4096 },
      { type: 0x83, startLba: 6144, sectors: 2048 },
      { type: 0x05, startLba: 8192, sectors: 8000 },
    ]);
    // EBR 1 at 8192: logical at +63; link to EBR 2 at ext+3000. EBR 2: logical at +1, no link.
    writeMbr(disk, 8192 * 512, [
      { type: 0x07, startLba: 63, sectors: 1000 },
      { type: 0x05, startLba: 3000, sectors: 2000 },
    ]);
    writeMbr(disk, (8192 + 3000) * 512, [{ type: 0x27, startLba: 1, sectors: 500 }]);
    const t = await readPartitionTable(memorySource(disk));
    expect(t.scheme).toBe('mbr');
    expect(t.partitions).toEqual([
      { index: 1, offset: 2048 * 512, length: 4096 * 512, type: '0x07' },
      { index: 2, offset: 6144 * 512, length: 2048 * 512, type: '0x83' },
      { index: 5, offset: (8192 + 63) * 512, length: 1000 * 512, type: '0x07' },
      { index: 6, offset: (8192 + 3001) * 512, length: 500 * 512, type: '0x27' },
    ]);
    expect(t.metadata).toEqual([
      { offset: 0, length: 512 },
      { offset: 8192 * 512, length: 512 },
      { offset: (8192 + 3000) * 512, length: 512 },
    ]);
  });

  it('uses 4096-byte logical sectors as the LBA unit', async () => {
    const disk = new Uint8Array(8 * MiB);
    writeMbr(disk, 0, [{ type: 0x07, startLba: 256, sectors: 1024 }]);
    const t = await readPartitionTable(memorySource(disk, 4096));
    expect(t.partitions).toEqual([{ index: 1, offset: 256 * 4096, length: 1024 * 4096, type: '0x07' }]);
  });

  it('refuses an EBR loop, a chain past the count limit, and a partition past the disk end', async () => {
    const loop = new Uint8Array(4 * MiB);
    writeMbr(loop, 0, [{ type: 0x0f, startLba: 2048, sectors: 4000 }]);
    writeMbr(loop, 2048 * 512, [
      { type: 0x07, startLba: 1, sectors: 10 },
      { type: 0x05, startLba: 100, sectors: 20 },
    ]);
    writeMbr(loop, 2148 * 512, [
      { type: 0x07, startLba: 1, sectors: 10 },
      { type: 0x05, startLba: 0, sectors: 20 },
    ]);
    expect(await tableError(loop)).toMatch(/loops/);

    const long = new Uint8Array(4 * MiB);
    writeMbr(long, 0, [{ type: 0x05, startLba: 1000, sectors: 6000 }]);
    for (let i = 0; i < 200; i++) {
      writeMbr(long, (1000 + 20 * i) * 512, [
        { type: 0x07, startLba: 1, sectors: 10 },
        { type: 0x05, startLba: 20 * (i + 1), sectors: 20 },
      ]);
    }
    expect(await tableError(long)).toMatch(/longer than 128/);

    const past = new Uint8Array(4 * MiB);
    writeMbr(past, 0, [{ type: 0x07, startLba: 2048, sectors: 0xffff_0000 }]);
    expect(await tableError(past)).toMatch(/outside the disk/);
    // analyzeDisk turns a bad table into read-whole with a warning.
    const a = await analyzeDisk(memorySource(loop));
    expect(a.skip).toEqual([]);
    expect(a.warnings[0]).toMatch(/DM_ERR_PART_TABLE.*read whole/);
  });

  it('a disk with no table is "none" with no partitions; non-NTFS partitions are read whole with a warning', async () => {
    const blank = await analyzeDisk(memorySource(new Uint8Array(MiB)));
    expect(blank).toMatchObject({ scheme: 'none', partitions: [], skip: [] });
    expect(blank.warnings.join()).toMatch(/read whole/);
    const disk = new Uint8Array(4 * MiB);
    writeMbr(disk, 0, [{ type: 0x83, startLba: 2048, sectors: 4096 }]);
    const a = await analyzeDisk(memorySource(disk));
    expect(a.volumes).toEqual([
      expect.objectContaining({ kind: 'other', status: 'unsupported', partitionIndex: 1 }),
    ]);
    expect(a.skip).toEqual([]);
    expect(a.warnings.join()).toMatch(/not NTFS.*read whole/);
  });

  it('overlapping partitions are both read whole', async () => {
    const disk = new Uint8Array(4 * MiB);
    writeMbr(disk, 0, [
      { type: 0x07, startLba: 2048, sectors: 4096 },
      { type: 0x07, startLba: 4096, sectors: 2048 },
    ]);
    const a = await analyzeDisk(memorySource(disk));
    expect(a.volumes.map((v) => v.status)).toEqual(['invalid', 'invalid']);
    expect(a.skip).toEqual([]);
  });
});

describe('GPT', () => {
  for (const lss of [512, 4096] as const) {
    it(`reads entries with names (${lss}-byte sectors), falling back to the backup header`, async () => {
      const disk = new Uint8Array(16 * MiB);
      const sectors = disk.length / lss;
      writeGpt(disk, lss, [
        { firstLba: 40, lastLba: 99, name: 'Basic data partition' },
        {
          firstLba: 100,
          lastLba: sectors - 40,
          name: 'ESP',
          type: [
            0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
          ],
        },
      ]);
      const t = await readPartitionTable(memorySource(disk, lss));
      expect(t.scheme).toBe('gpt');
      expect(t.partitions).toEqual([
        {
          index: 1,
          offset: 40 * lss,
          length: 60 * lss,
          type: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
          name: 'Basic data partition',
        },
        {
          index: 2,
          offset: 100 * lss,
          length: (sectors - 139) * lss,
          type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
          name: 'ESP',
        },
      ]);
      expect(t.warnings).toEqual([]);

      // Corrupt the primary header's CRC: the backup is used, with a warning.
      disk[lss + 20] = disk[lss + 20]! ^ 0xff;
      const b = await readPartitionTable(memorySource(disk, lss));
      expect(b.partitions).toEqual(t.partitions);
      expect(b.warnings[0]).toMatch(/primary GPT invalid.*CRC-32/);

      // Corrupt the primary entry array instead.
      disk[lss + 20] = disk[lss + 20]! ^ 0xff;
      disk[2 * lss + 60] = disk[2 * lss + 60]! ^ 0x01;
      const c = await readPartitionTable(memorySource(disk, lss));
      expect(c.warnings[0]).toMatch(/entry array CRC-32/);

      // And the backup header too: no valid GPT.
      disk[(sectors - 1) * lss + 16] = disk[(sectors - 1) * lss + 16]! ^ 0x01;
      expect(await tableError(disk, lss)).toMatch(/no valid GPT/);
    });
  }

  it('refuses entries outside the usable range', async () => {
    const disk = new Uint8Array(4 * MiB);
    writeGpt(disk, 512, [{ firstLba: 10, lastLba: 20 }]);
    expect(await tableError(disk)).toMatch(/outside the usable range/);
  });
});
