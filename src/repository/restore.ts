/**
 * restorePoint: one disk of one restore point to a raw file (sparse) or a VHDX. Bit-exact: every
 * blob is checked (CRC, GCM, identity) before its bytes are written, and the output appears under
 * its name only when everything was written; a damaged point fails with its DM_ERR code.
 * Packs are read in large sequential runs, in pack order, not in disk order.
 */
import { dmError } from '../errors.js';
import { toHex } from './format/bytes.js';
import { BLOCK_SKIPPED, BLOCK_ZERO } from './format/constants.js';
import type { PointManifest } from './format/manifest.js';
import { loadPoints, pointInfo } from './catalog.js';
import type { LoadedPoint, PointInfo } from './catalog.js';
import type { RepoHandle } from './handle.js';
import { packKey, paths } from './layout.js';
import { checkFrame, decodeFrame } from './blob-open.js';
import { ParallelOpener, choosePool } from './parallel-open.js';
import type { DecodeOptions } from './parallel-open.js';
import { PackReader } from './pack-reader.js';
import { openSink } from './restore-sink.js';
import type { RestoreFormat, RestoreSink } from './restore-sink.js';
import { planRuns } from './read-plan.js';

export interface RestoreOptions extends DecodeOptions {
  readonly vm: string;
  /** Default 0. */
  readonly disk?: number;
  /** 'latest' (default) or a point id. */
  readonly point?: string;
  readonly out: string;
  /** Default: 'vhdx' when `out` ends in .vhdx, else 'raw'. */
  readonly format?: RestoreFormat;
  /** Also re-hash every block against its identity (as verify does). Default false: CRC / GCM only. */
  readonly rehash?: boolean;
}

export interface RestoreResult {
  readonly point: PointInfo;
  readonly out: string;
  readonly format: RestoreFormat;
  readonly bytesWritten: number;
}

const MAX_WRITES_IN_FLIGHT = 8;

export async function findPoint(
  repo: RepoHandle,
  vm: string,
  disk: number,
  point: string,
): Promise<LoadedPoint> {
  const all = (await loadPoints(repo)).filter((p) => p.manifest.vm === vm && p.manifest.disk === disk);
  const found = point === 'latest' ? all.at(-1) : all.find((p) => p.id === point);
  if (!found)
    throw dmError('DM_ERR_REPO_POINT_NOT_FOUND', `no restore point ${point} for vm ${vm} disk ${disk}`, {
      field: 'point',
    });
  return found;
}

export async function restorePoint(repo: RepoHandle, opts: RestoreOptions): Promise<RestoreResult> {
  const { manifest, backupFile } = await findPoint(repo, opts.vm, opts.disk ?? 0, opts.point ?? 'latest');
  const format = opts.format ?? (opts.out.toLowerCase().endsWith('.vhdx') ? 'vhdx' : 'raw');
  const sink = await openSink(format, opts.out, manifest.virtualSize);
  try {
    const bytesWritten = await writeBlocks(repo, backupFile, manifest, sink, opts);
    await sink.finish();
    return { point: pointInfo(manifest), out: opts.out, format, bytesWritten };
  } catch (err) {
    await sink.discard();
    throw err;
  }
}

/** Which blocks each blob fills: blob index → block indices (CSR layout, no per-blob arrays). */
function blocksByBlob(m: PointManifest): { start: Uint32Array; list: Uint32Array } {
  const start = new Uint32Array(m.blobs.length + 1);
  for (const b of m.blocks) if (b !== BLOCK_ZERO && b !== BLOCK_SKIPPED) start[b + 1]!++;
  for (let i = 0; i < m.blobs.length; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, m.blobs.length);
  const list = new Uint32Array(start[m.blobs.length]!);
  m.blocks.forEach((b, i) => {
    if (b !== BLOCK_ZERO && b !== BLOCK_SKIPPED) list[fill[b]!++] = i;
  });
  return { start, list };
}

async function writeBlocks(
  repo: RepoHandle,
  bf: string,
  m: PointManifest,
  sink: RestoreSink,
  opts: RestoreOptions,
): Promise<number> {
  const { start, list } = blocksByBlob(m);
  const inFlight: Promise<void>[] = [];
  let written = 0;
  let seen = 0;
  let failure: unknown;
  const { pool, owned } = choosePool(opts);
  let currentFile = '';
  const opener = pool ? new ParallelOpener(pool, m.blockSize, () => currentFile) : undefined;
  /** Writes one decoded blob to every block that uses it (bounded number of writes in flight). */
  const place = async (bi: number, data: Uint8Array, awaitAll: boolean) => {
    for (let k = start[bi]!; k < start[bi + 1]!; k++) {
      const w = sink.write(data, list[k]! * m.blockSize);
      w.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
      inFlight.push(w);
      written += data.length;
      if (inFlight.length >= MAX_WRITES_IN_FLIGHT) await inFlight.shift();
    }
    // A slot's bytes are reused once this resolves: its writes must be done.
    if (awaitAll) while (inFlight.length) await inFlight.shift();
  };
  try {
    for (let p = 0; p < m.packs.length; p++) {
      const pack = m.packs[p]!;
      const file = paths.pack(repo.dir, bf, packKey(pack.sessionId, pack.seq));
      const wanted = new Map<number, number>();
      m.blobs.forEach((b, i) => b.pack === p && wanted.set(b.offset, i));
      const reader = await PackReader.open(file);
      try {
        const keys = {
          blobKey:
            repo.keys && reader.header.encrypted ? repo.keys.deriveBlobKey(reader.header.salt) : undefined,
          identityKey: repo.keys?.identityKey,
        };
        if (!!repo.keys !== reader.header.encrypted)
          throw dmError('DM_ERR_CRYPTO_AUTH', 'pack encryption does not match the repository', { file });
        for (const run of planRuns(
          [...wanted.keys()].map((o) => ({ offset: o, length: m.blobs[wanted.get(o)!]!.frameLength })),
        )) {
          await reader.scanFrames(run.start, run.end, async (f) => {
            const bi = wanted.get(f.offset);
            if (bi === undefined) return;
            const blob = m.blobs[bi]!;
            if (f.headerBytes.length + f.payload.length !== blob.frameLength)
              throw dmError('DM_ERR_REPO_CORRUPT', 'frame length differs from the manifest', {
                file,
                offset: f.offset,
              });
            checkFrame(f, keys, file, { expected: blob.identity, full: opts.rehash ?? false });
            seen++;
            if (failure) throw failure;
            if (opener?.fits(f)) {
              currentFile = file;
              await opener.push(
                f,
                keys,
                (raw) => place(bi, raw, true),
                (err) => void (failure ??= err),
              );
              return;
            }
            await place(bi, decodeFrame(f, keys, file, opts.rehash ?? false), false);
          });
        }
      } finally {
        await opener?.flush();
        await reader.close();
      }
    }
    await Promise.all(inFlight);
  } finally {
    await opener?.flush().catch(() => undefined);
    if (owned) await pool?.close();
  }
  if (failure) throw failure;
  if (seen !== m.blobs.length)
    throw dmError(
      'DM_ERR_REPO_CORRUPT',
      `point ${toHex(m.id)}: ${m.blobs.length - seen} blob(s) not found in their packs`,
    );
  return written;
}
