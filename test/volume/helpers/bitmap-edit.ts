/** Test-only edits of an NTFS image's $Bitmap, $MFT $BITMAP and record in-use flags, in memory. */
import type { NtfsVolume } from '../../../src/volume/ntfs/volume.js';
import type { Run } from '../../../src/volume/ntfs/runlist.js';
import type { ByteRange } from '../../../src/volume/ranges.js';

/** Disk offset of byte `pos` of a non-resident stream whose runs are `runs` (volume at `volOffset`). */
function streamByte(runs: readonly Run[], pos: number, cs: number, volOffset: number): number {
  const vcn = Math.floor(pos / cs);
  const r = runs.find((x) => vcn >= x.vcn && vcn < x.vcn + x.length && x.lcn >= 0);
  if (!r) throw new Error(`stream byte ${pos} not mapped`);
  return volOffset + (r.lcn + vcn - r.vcn) * cs + (pos % cs);
}

async function streamRuns(vol: NtfsVolume, record: number, type: number): Promise<Run[]> {
  const s = await vol.mft.stream((await vol.mft.attributes(record)).attributes, type, '');
  if (!s?.nonResident)
    throw new Error(`record ${record} attribute 0x${type.toString(16)} is not non-resident`);
  return s.runs;
}

function setBit(image: Uint8Array, at: number, bit: number, on: boolean): void {
  if (on) image[at] = image[at]! | (1 << bit);
  else image[at] = image[at]! & ~(1 << bit);
}

/** Sets ($Bitmap "in use") or clears ("free") the bits of volume cluster ranges. */
export async function setClusterBits(
  image: Uint8Array,
  vol: NtfsVolume,
  ranges: readonly ByteRange[],
  used: boolean,
  volOffset = 0,
): Promise<void> {
  const runs = await streamRuns(vol, 6, 0x80);
  const cs = vol.boot.clusterSize;
  for (const r of ranges)
    for (let c = r.offset; c < r.offset + r.length; c++)
      setBit(image, streamByte(runs, c >> 3, cs, volOffset), c & 7, used);
}

/** Sets or clears record `n`'s bit in the $MFT's own $BITMAP (non-resident in every fixture). */
export async function setMftBitmapBit(
  image: Uint8Array,
  vol: NtfsVolume,
  n: number,
  used: boolean,
  volOffset = 0,
): Promise<void> {
  const runs = await streamRuns(vol, 0, 0xb0);
  setBit(image, streamByte(runs, n >> 3, vol.boot.clusterSize, volOffset), n & 7, used);
}

/** Sets or clears the in-use flag in record `n`'s header (offset 22: never fixup-protected). */
export function setRecordInUse(image: Uint8Array, vol: NtfsVolume, n: number, used: boolean): void {
  setBit(image, vol.mft.diskOffsetOf(n) + 22, 0, used);
}

/**
 * Real runs of attribute `type`/`name` of record `n` as cluster ranges: through the attribute list,
 * except for the $ATTRIBUTE_LIST (0x20) itself, which only the base record holds.
 */
export async function attributeClusters(
  vol: NtfsVolume,
  n: number,
  type: number,
  name = '',
): Promise<ByteRange[]> {
  const attributes =
    type === 0x20 ? (await vol.mft.readRecord(n)).attributes : (await vol.mft.attributes(n)).attributes;
  const s = await vol.mft.stream(attributes, type, name);
  if (!s?.nonResident)
    throw new Error(`record ${n} attribute 0x${type.toString(16)} "${name}" not non-resident`);
  return s.runs.filter((r) => r.lcn >= 0).map((r) => ({ offset: r.lcn, length: r.length }));
}
