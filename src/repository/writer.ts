/**
 * The write API the pipeline calls (docs/repository-format.md §6).
 *
 *   const w = await openWriter(repo, 'job1');            // locks files/job1 (DM_ERR_REPO_LOCKED if held)
 *   const p = await w.beginPoint({ vm, disk, virtualSize, blockSize, type: 'full' });
 *   // src/pipeline/block-processor.ts: a nonce per block from p.keys.nextNonce(), then the job's
 *   // SealEngine (src/pipeline/seal-engine.ts: the native engine or worker threads) hashes,
 *   // compresses and encrypts a batch with p.keys.identityKey / blobKey, and hands back each
 *   // block's SealedBlob (core/blob.ts), its frame header already encoded:
 *   if (p.has(id)) p.putDuplicate(i, id); else await p.putBlob(i, sealed);   // or putZero/putSkipped
 *   const info = await p.commit({ readBytes, transferredBytes });            // durable + visible
 *   await w.close();
 *
 * One writer per backup file: per job, or per VM with per-VM files (`backupFileFor(job, vm)`).
 * Several points (disks) may be open at once on one writer. `beginPoint(repo, {backupFile, ...})`
 * is the one-point shorthand: it opens a writer and closes it when the point commits or aborts.
 */
import { dmError } from '../errors.js';
import { MAX_BLOCK_COUNT, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from '../format/constants.js';
import { damageHidingLatest } from './damaged-points.js';
import { blockCountFor } from '../format/manifest.js';
import type { PointManifest } from '../format/manifest.js';
import type { RepoHandle } from './handle.js';
import { PointWriter } from './point-writer.js';
import type { BeginPointOptions } from './point-writer.js';
import { WriterSession } from './session.js';
import type { SessionOptions } from './session.js';

export interface BackupFileWriter {
  readonly backupFile: string;
  beginPoint(opts: BeginPointOptions): Promise<PointWriter>;
  /** Waits for pending writes and releases the lock; open points must be committed or aborted first. */
  close(): Promise<void>;
}

function invalid(field: string, message: string): never {
  throw dmError('DM_ERR_ARG_INVALID', message, { field });
}

function checkOptions(o: BeginPointOptions): void {
  if (typeof o.vm !== 'string' || o.vm.length === 0 || Buffer.byteLength(o.vm) > 1024)
    invalid('vm', 'vm must be a name of 1 to 1024 bytes');
  if (!Number.isInteger(o.disk) || o.disk < 0 || o.disk > 0xffff) invalid('disk', 'disk must be 0..65535');
  const bs = o.blockSize;
  if (!Number.isInteger(bs) || bs < MIN_BLOCK_SIZE || bs > MAX_BLOCK_SIZE || (bs & (bs - 1)) !== 0)
    invalid('blockSize', `block size ${bs} must be a power of two from 4 KiB to 64 MiB`);
  if (
    !Number.isSafeInteger(o.virtualSize) ||
    o.virtualSize <= 0 ||
    blockCountFor(o.virtualSize, bs) > MAX_BLOCK_COUNT
  )
    invalid('virtualSize', `virtual size ${o.virtualSize} is out of range`);
  if (o.type !== 'full' && o.type !== 'incremental') invalid('type', "type must be 'full' or 'incremental'");
  if (o.changeId !== undefined && Buffer.byteLength(o.changeId) > 1024)
    invalid('changeId', 'change id is too long');
}

function findParent(session: WriterSession, o: BeginPointOptions): PointManifest | undefined {
  if (o.type === 'full') return undefined;
  const candidates = [...session.points.values()]
    .map((p) => p.manifest)
    .filter((m) => m.vm === o.vm && m.disk === o.disk)
    .sort((a, b) => a.createdMs - b.createdMs);
  const parent =
    o.parent !== undefined
      ? candidates.find((m) => Buffer.from(m.id).toString('hex') === o.parent)
      : candidates.at(-1);
  const hiding =
    o.parent === undefined ? damageHidingLatest(session.damaged, o.vm, o.disk, parent?.createdMs) : [];
  if (hiding.length > 0)
    throw dmError(
      'DM_ERR_REPO_POINT_DAMAGED',
      `the latest point of ${o.vm} disk ${o.disk} in backup file ${session.backupFile} may be the damaged ` +
        `manifest ${hiding[0]!.file}: take a full (a new chain), or name the parent`,
      { field: 'parent' },
    );
  if (!parent)
    throw dmError(
      'DM_ERR_REPO_POINT_NOT_FOUND',
      `no parent point for an incremental of ${o.vm} disk ${o.disk} in backup file ${session.backupFile}`,
      { field: 'parent' },
    );
  if (parent.blockSize !== o.blockSize)
    invalid(
      'blockSize',
      `block size ${o.blockSize} differs from the parent's ${parent.blockSize}: take a full`,
    );
  return parent;
}

async function startPoint(session: WriterSession, o: BeginPointOptions, onEnd?: () => Promise<void>) {
  checkOptions(o);
  session.checkOpen();
  return new PointWriter(session, o, findParent(session, o), onEnd);
}

export async function openWriter(
  repo: RepoHandle,
  backupFile: string,
  opts: SessionOptions = {},
): Promise<BackupFileWriter> {
  const session = await WriterSession.open(repo, backupFile, opts);
  return {
    backupFile,
    beginPoint: (o) => startPoint(session, o),
    async close() {
      if (session.openPoints > 0)
        throw dmError(
          'DM_ERR_ARG_INVALID',
          `${session.openPoints} point(s) still open: commit or abort them first`,
        );
      await session.close();
    },
  };
}

export async function beginPoint(
  repo: RepoHandle,
  o: BeginPointOptions & { readonly backupFile: string },
  opts: SessionOptions = {},
): Promise<PointWriter> {
  checkOptions(o);
  const session = await WriterSession.open(repo, o.backupFile, opts);
  try {
    return await startPoint(session, o, () => session.close());
  } catch (err) {
    await session.close();
    throw err;
  }
}
