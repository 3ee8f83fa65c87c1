/** Little-endian field helpers shared by every binary codec (VHDX, NTFS, repository). Pure. */

export function dataView(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** u64 LE as a number, or undefined when it does not fit in 2^53 (a forged size, never trusted). */
export function readU64(dv: DataView, offset: number): number | undefined {
  const lo = dv.getUint32(offset, true);
  const hi = dv.getUint32(offset + 4, true);
  if (hi >= 0x200000) return undefined;
  return hi * 0x100000000 + lo;
}

export function writeU64(dv: DataView, offset: number, value: number): void {
  dv.setUint32(offset, value >>> 0, true);
  dv.setUint32(offset + 4, Math.floor(value / 0x100000000), true);
}
