/** Test-only writers for MBR / EBR / GPT partition tables around volume images, in memory. */
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { crc32 } from '../../../src/core/crc32.js';

export const FIXTURES = new URL('../../../native-fixtures/ntfs/', import.meta.url);

export interface FixtureFacts {
  readonly logicalSectorSize: 512 | 4096;
  readonly clusterSize: number;
  readonly totalClusters: number;
  readonly freeClusters: number;
  readonly clustersInUse: number;
  readonly version: string;
  /** Entries `ntfsls` lists per directory (where recorded). */
  readonly dirEntries?: Record<string, number>;
  readonly files: Record<string, { vcn: number; lcn: number; length: number }[]>;
}

export function loadFixture(name: string): { image: Uint8Array; facts: FixtureFacts } {
  const image = new Uint8Array(gunzipSync(readFileSync(new URL(`${name}.img.gz`, FIXTURES))));
  const raw = JSON.parse(readFileSync(new URL(`${name}.facts.json`, FIXTURES), 'utf8')) as Omit<
    FixtureFacts,
    'files'
  > & {
    files: Record<string, [number, number, number][]>;
  };
  const files = Object.fromEntries(
    Object.entries(raw.files).map(([p, runs]) => [
      p,
      runs.map(([vcn, lcn, length]) => ({ vcn, lcn, length })),
    ]),
  );
  return { image, facts: { ...raw, files } };
}

function le(b: Uint8Array, o: number, v: number, n: number): void {
  for (let i = 0; i < n; i++) {
    b[o + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

export interface MbrSlot {
  readonly type: number;
  readonly startLba: number;
  readonly sectors: number;
}

/** Writes an MBR (or EBR) sector's entries and signature at byte `at`. */
export function writeMbr(disk: Uint8Array, at: number, slots: readonly (MbrSlot | undefined)[]): void {
  slots.forEach((s, i) => {
    if (!s) return;
    const o = at + 446 + 16 * i;
    disk[o + 4] = s.type;
    le(disk, o + 8, s.startLba, 4);
    le(disk, o + 12, s.sectors, 4);
  });
  disk[at + 510] = 0x55;
  disk[at + 511] = 0xaa;
}

const BASIC_DATA = [
  0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44, 0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7,
];

export interface GptPart {
  readonly firstLba: number;
  readonly lastLba: number;
  readonly name?: string;
  readonly type?: number[];
}

/** Writes a protective MBR, primary and backup GPT (128 entries × 128 bytes) for `parts`. */
export function writeGpt(disk: Uint8Array, lss: number, parts: readonly GptPart[]): void {
  const sectors = disk.length / lss;
  writeMbr(disk, 0, [{ type: 0xee, startLba: 1, sectors: Math.min(sectors - 1, 0xffffffff) }]);
  const array = new Uint8Array(128 * 128);
  parts.forEach((p, i) => {
    const o = i * 128;
    array.set(p.type ?? BASIC_DATA, o);
    array.fill(i + 1, o + 16, o + 32);
    le(array, o + 32, p.firstLba, 8);
    le(array, o + 40, p.lastLba, 8);
    const name = p.name ?? '';
    for (let c = 0; c < name.length; c++) le(array, o + 56 + 2 * c, name.charCodeAt(c), 2);
  });
  const arraySectors = array.length / lss;
  const header = (myLba: number, altLba: number, entryLba: number): Uint8Array => {
    const h = new Uint8Array(lss);
    h.set(new TextEncoder().encode('EFI PART'), 0);
    le(h, 8, 0x10000, 4);
    le(h, 12, 92, 4);
    le(h, 24, myLba, 8);
    le(h, 32, altLba, 8);
    le(h, 40, 2 + arraySectors, 8);
    le(h, 48, sectors - 2 - arraySectors, 8);
    h.fill(0x42, 56, 72);
    le(h, 72, entryLba, 8);
    le(h, 80, 128, 4);
    le(h, 84, 128, 4);
    le(h, 88, crc32(array), 4);
    le(h, 16, crc32(h.subarray(0, 92)), 4);
    return h;
  };
  disk.set(header(1, sectors - 1, 2), lss);
  disk.set(array, 2 * lss);
  disk.set(array, (sectors - 1 - arraySectors) * lss);
  disk.set(header(sectors - 1, 1, sectors - 1 - arraySectors), (sectors - 1) * lss);
}

/** A disk of `diskBytes` with `volume` copied at byte `at`. */
export function diskWith(diskBytes: number, volume: Uint8Array, at: number): Uint8Array {
  const disk = new Uint8Array(diskBytes);
  disk.set(volume, at);
  return disk;
}
