/** Test-only in-memory DiskSource (files go through the real src/source/raw-image.ts). */
import type { DiskSource, Extent } from '../../../src/source/disk-source.js';
import { dmError } from '../../../src/errors.js';

function check(size: number, offset: number, length: number, path: string): void {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw dmError('DM_ERR_SOURCE_RANGE', `read of ${length} at ${offset} outside ${size}`, { file: path });
  }
}

export function memorySource(
  bytes: Uint8Array,
  sectorSize: 512 | 4096 = 512,
  path = 'memory.img',
): DiskSource {
  return {
    path,
    format: 'raw',
    virtualSize: bytes.length,
    logicalSectorSize: sectorSize,
    physicalSectorSize: sectorSize,
    async read(buf, offset, length = buf.length, bufOffset = 0) {
      check(bytes.length, offset, length, path);
      buf.set(bytes.subarray(offset, offset + length), bufOffset);
    },
    *extents(offset = 0, length = bytes.length - offset): Iterable<Extent> {
      yield { offset, length, kind: 'present' };
    },
    async close() {},
  };
}
