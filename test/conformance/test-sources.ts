/**
 * Two minimal DiskSources for the writer conformance tests, so they exercise convertImage + the
 * VHDX writer without depending on our own image readers: a raw file (all present) and a fixture's
 * golden model (its recorded writes, allocated as qemu's BAT says).
 */
import { open } from 'node:fs/promises';
import type { DiskSource, Extent } from '../../src/source/disk-source.js';
import type { Golden } from './golden.js';
import { modelRead } from './golden.js';

function checkRange(size: number, offset: number, length: number): void {
  if (offset < 0 || length < 0 || offset + length > size)
    throw Object.assign(new Error(`read [${offset}, ${offset + length}) outside ${size}`), {
      code: 'DM_ERR_SOURCE_RANGE',
    });
}

function* clipped(all: readonly Extent[], offset: number, length: number): Iterable<Extent> {
  const end = offset + length;
  for (const e of all) {
    const lo = Math.max(e.offset, offset);
    const hi = Math.min(e.offset + e.length, end);
    if (lo < hi) yield { offset: lo, length: hi - lo, kind: e.kind };
  }
}

/** A raw file as a DiskSource: every byte present (a raw file carries no allocation map). */
export async function openRawFile(path: string): Promise<DiskSource> {
  const fh = await open(path, 'r');
  const size = (await fh.stat()).size;
  return {
    path,
    format: 'raw',
    virtualSize: size,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    async read(buf, offset, len, bufOffset = 0) {
      const length = len ?? buf.length - bufOffset;
      checkRange(size, offset, length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, bufOffset + done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`short read of ${path} at ${offset + done}`);
        done += bytesRead;
      }
    },
    extents(offset = 0, length = size - offset) {
      return clipped([{ offset: 0, length: size, kind: 'present' }], offset, length);
    },
    close: () => fh.close(),
  };
}

/** A fixture's golden as a DiskSource: bytes from its writes, extents from qemu's BAT. */
export function goldenSource(g: Golden): DiskSource {
  return {
    path: `${g.name} (golden model)`,
    format: 'raw',
    virtualSize: g.virtualSize,
    logicalSectorSize: g.logicalSectorSize,
    physicalSectorSize: 512,
    async read(buf, offset, len, bufOffset = 0) {
      const length = len ?? buf.length - bufOffset;
      checkRange(g.virtualSize, offset, length);
      buf.set(modelRead(g.writes, offset, length), bufOffset);
    },
    extents(offset = 0, length = g.virtualSize - offset) {
      return clipped(g.allocation, offset, length);
    },
    close: async () => {},
  };
}
