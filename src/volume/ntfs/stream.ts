/** Reading a non-resident attribute's bytes through its runlist. */
import type { DiskSource } from '../../source/disk-source.js';
import { dmError } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';
import type { Run } from './runlist.js';

export interface VolumeGeometry {
  readonly source: DiskSource;
  /** Disk offset of the volume (partition start). */
  readonly offset: number;
  readonly clusterSize: number;
}

/**
 * Reads `length` bytes at stream position `pos` into `out[outOffset..]`. Sparse runs read as zeros
 * unless `allowSparse` is false; positions no run maps throw `code`.
 */
export async function readStream(
  geo: VolumeGeometry,
  runs: readonly Run[],
  pos: number,
  length: number,
  out: Uint8Array,
  outOffset: number,
  code: ErrorCode,
  what: string,
  allowSparse = true,
): Promise<void> {
  const cs = geo.clusterSize;
  let done = 0;
  // Runs are sorted by VCN; binary search the first run ending after `pos`.
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid]!;
    if ((r.vcn + r.length) * cs <= pos) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; done < length; i++) {
    const r = runs[i];
    const at = pos + done;
    if (!r || r.vcn * cs > at) {
      throw dmError(code, `${what}: byte ${at} of the stream is not mapped by its runlist`, {
        file: geo.source.path,
        field: what,
      });
    }
    const inRun = at - r.vcn * cs;
    const n = Math.min(length - done, r.length * cs - inRun);
    if (r.lcn < 0) {
      if (!allowSparse) {
        throw dmError(code, `${what}: byte ${at} of the stream lies in a sparse run`, {
          file: geo.source.path,
          field: what,
        });
      }
      out.fill(0, outOffset + done, outOffset + done + n);
    } else {
      await geo.source.read(out, geo.offset + r.lcn * cs + inRun, n, outOffset + done);
    }
    done += n;
  }
}

/** Total clusters a runlist spans (VCNs), holes included. */
export function runsVcnCount(runs: readonly Run[]): number {
  const last = runs[runs.length - 1];
  return last ? last.vcn + last.length - (runs[0]?.vcn ?? 0) : 0;
}
