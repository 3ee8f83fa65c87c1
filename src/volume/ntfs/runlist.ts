/** Runlists (mapping pairs, formats.md §2.5), decoded and checked against the volume's cluster count. */
import { dmError } from '../../errors.js';
import type { ErrorLocation } from '../../errors.js';

export interface Run {
  readonly vcn: number;
  /** First cluster, or -1 for a sparse run (a hole: reads as zeros, occupies no clusters). */
  readonly lcn: number;
  readonly length: number;
}

/** Little-endian signed integer of `n` (1..8) bytes; exact (BigInt) beyond 6 bytes. */
function readSigned(b: Uint8Array, o: number, n: number): number {
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[o + i]!;
    return b[o + n - 1]! & 0x80 ? v - 2 ** (8 * n) : v;
  }
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]!);
  if (b[o + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? NaN : Number(v);
}

/**
 * Decodes mapping pairs starting at `lowestVcn`. Every real run must lie inside [0, totalClusters);
 * the runs must end exactly at `highestVcn` + 1 (when the attribute has clusters). Throws
 * DM_ERR_NTFS_RUNLIST.
 */
export function decodeRunlist(
  pairs: Uint8Array,
  lowestVcn: number,
  highestVcn: number,
  totalClusters: number,
  where: ErrorLocation,
): Run[] {
  const fail = (msg: string, pos: number): never => {
    throw dmError('DM_ERR_NTFS_RUNLIST', msg, { ...where, field: `mapping pairs +${pos}` });
  };
  const runs: Run[] = [];
  let pos = 0;
  let vcn = lowestVcn;
  let lcn = 0;
  for (;;) {
    if (pos >= pairs.length) fail('mapping pairs run past the attribute without a terminator', pos);
    const header = pairs[pos]!;
    if (header === 0) break;
    const lenBytes = header & 0x0f;
    const lcnBytes = header >> 4;
    if (lenBytes === 0 || lenBytes > 8 || lcnBytes > 8)
      fail(`run header 0x${header.toString(16)} invalid`, pos);
    if (pos + 1 + lenBytes + lcnBytes > pairs.length) fail('run past the attribute end', pos);
    const length = readSigned(pairs, pos + 1, lenBytes);
    if (!(length > 0)) fail(`run length ${length} not positive`, pos);
    if (lcnBytes === 0) {
      runs.push({ vcn, lcn: -1, length });
    } else {
      const delta = readSigned(pairs, pos + 1 + lenBytes, lcnBytes);
      lcn += delta;
      if (!Number.isSafeInteger(lcn) || lcn < 0 || lcn + length > totalClusters) {
        fail(
          `run of ${length} clusters at LCN ${lcn} lies outside the volume (${totalClusters} clusters)`,
          pos,
        );
      }
      runs.push({ vcn, lcn, length });
    }
    vcn += length;
    if (!Number.isSafeInteger(vcn)) fail('VCN overflow', pos);
    pos += 1 + lenBytes + lcnBytes;
  }
  const empty = runs.length === 0 && (highestVcn === -1 || highestVcn === lowestVcn - 1 || highestVcn === 0);
  if (!empty && vcn - 1 !== highestVcn) {
    fail(`runs end at VCN ${vcn - 1}, attribute says highest VCN ${highestVcn}`, pos);
  }
  return runs;
}
