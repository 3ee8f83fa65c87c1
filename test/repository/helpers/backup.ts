/** Backs up an in-memory disk through the repository API the way the pipeline will. */
import type { CompressionLevel } from '../../../src/core/blob.js';
import type { BeginPointOptions, PointWriter } from '../../../src/repository/point-writer.js';
import type { PointInfo } from '../../../src/repository/catalog.js';
import { blockIdentity } from '../../../src/compute/identity.js';
import { sealBlock } from '../../../src/compute/seal.js';
import { isAllZero } from '../../../src/compute/zero.js';

export interface BackupOptions {
  readonly level?: CompressionLevel;
  /** Blocks to write (for incrementals); default all. */
  readonly blocks?: Iterable<number>;
  /** Blocks to mark skipped. */
  readonly skipped?: ReadonlySet<number>;
}

/** Writes the blocks of `disk` into `p` and commits. */
export async function writeDisk(p: PointWriter, disk: Buffer, blockSize: number, opts: BackupOptions = {}) {
  const count = Math.ceil(disk.length / blockSize);
  const which = opts.blocks ?? Array.from({ length: count }, (_, i) => i);
  for (const b of which) {
    if (opts.skipped?.has(b)) {
      p.putSkipped(b);
      continue;
    }
    const data = disk.subarray(b * blockSize, Math.min(disk.length, (b + 1) * blockSize));
    if (isAllZero(data)) {
      p.putZero(b);
      continue;
    }
    const id = blockIdentity(data, p.keys.identityKey);
    if (p.has(id)) {
      p.putDuplicate(b, id);
      continue;
    }
    const nonce = p.keys.nextNonce();
    const sealed = sealBlock(data, {
      level: opts.level ?? 'optimal',
      identity: id,
      ...(p.keys.identityKey ? { identityKey: p.keys.identityKey } : {}),
      ...(p.keys.blobKey && nonce ? { blobKey: p.keys.blobKey, nonce } : {}),
    });
    await p.putBlob(b, sealed); // sealBlock's payload is owned (test/workers/owned-output.test.ts)
  }
  return p.commit();
}

export type PointOptions = Omit<BeginPointOptions, 'virtualSize' | 'blockSize'>;

export async function backupDisk(
  begin: (o: BeginPointOptions) => Promise<PointWriter>,
  disk: Buffer,
  blockSize: number,
  point: PointOptions,
  opts: BackupOptions = {},
): Promise<PointInfo> {
  const p = await begin({ ...point, virtualSize: disk.length, blockSize });
  try {
    return await writeDisk(p, disk, blockSize, opts);
  } catch (err) {
    await p.abort();
    throw err;
  }
}
