/**
 * Restore on worker threads: the main thread only plans. Each pack's wanted frames are cut into
 * runs of a few MiB (read-plan.ts); a run goes to a worker as a small task (pack fd and range,
 * frames with their expected identities, the disk offsets each fills, the keys), and the worker
 * reads, checks, decodes and, for a raw target, pwrites the blocks itself (frame-run-restore.ts).
 * At most `pool.maxInFlight` runs are outstanding (bounded memory); a VHDX target gets each run's
 * blocks back in one moved buffer and writes them through the sink here.
 *
 * Failure: the first failed run's DM_ERR error fails the restore; no new runs start, and every
 * outstanding run settles before this returns, so no worker writes to (or reads from) a
 * descriptor after it is closed, and the caller's discard really removes the only output.
 */
import { IDENTITY_BYTES } from '../core/blob.js';
import { dmError, fromWire } from '../errors.js';
import type { FrameRunPool } from '../workers/frame-run-pool.js';
import type { RestoreRun, RestoreRunReply } from '../workers/frame-run-protocol.js';
import type { FrameKeys } from '../compute/frame-open.js';
import type { PointManifest } from '../format/manifest.js';
import type { RepoHandle } from '../repository/handle.js';
import { packKey, paths } from '../repository/layout.js';
import { PackReader } from '../repository/pack-reader.js';
import type { FrameRun } from '../repository/read-plan.js';
import { RUN_BYTES, planFrameRuns } from '../repository/read-plan.js';
import type { WantedFrame } from '../repository/restore-plan.js';
import { blocksByBlob, framesByPack, packKeys } from '../repository/restore-plan.js';
import type { RestoreSink } from '../repository/restore-sink.js';

interface RunContext {
  readonly m: PointManifest;
  readonly fills: { start: Uint32Array; list: Uint32Array };
  readonly sink: RestoreSink;
  readonly rehash: boolean;
}

function restoreRunFor(
  ctx: RunContext,
  run: FrameRun<WantedFrame>,
  reader: PackReader,
  keys: FrameKeys,
): RestoreRun {
  const { m, fills, sink } = ctx;
  const n = run.frames.length;
  const identities = new Uint8Array(n * IDENTITY_BYTES);
  const targetStart = new Uint32Array(n + 1);
  run.frames.forEach((f, i) => {
    identities.set(m.blobs[f.blob]!.identity, i * IDENTITY_BYTES);
    targetStart[i + 1] = targetStart[i]! + fills.start[f.blob + 1]! - fills.start[f.blob]!;
  });
  const targets = new Float64Array(targetStart[n]!);
  let t = 0;
  for (const f of run.frames)
    for (let k = fills.start[f.blob]!; k < fills.start[f.blob + 1]!; k++)
      targets[t++] = fills.list[k]! * m.blockSize;
  return {
    op: 'restore',
    packFd: reader.fd,
    packPath: reader.path,
    start: run.start,
    end: run.end,
    blobKey: keys.blobKey,
    identityKey: keys.identityKey,
    offsets: Float64Array.from(run.frames, (f) => f.offset),
    frameLengths: Uint32Array.from(run.frames, (f) => f.length),
    identities,
    targetStart,
    targets,
    rehash: ctx.rehash,
    blockSize: m.blockSize,
    outFd: sink.direct?.fd,
    outPath: sink.direct?.path ?? '',
  };
}

/** VHDX target: writes the blocks a worker sent back, each to every disk offset it fills. */
async function writeReturned(sink: RestoreSink, run: RestoreRun, reply: RestoreRunReply): Promise<void> {
  const { blocks, blockLengths } = reply;
  if (!blocks || !blockLengths) throw dmError('DM_ERR_INTERNAL', 'a restore run returned no blocks');
  for (let i = 0; i < run.offsets.length; i++) {
    const block = blocks.subarray(i * run.blockSize, i * run.blockSize + blockLengths[i]!);
    for (let k = run.targetStart[i]!; k < run.targetStart[i + 1]!; k++)
      await sink.write(block, run.targets[k]!);
  }
}

export async function restoreOnWorkers(
  repo: RepoHandle,
  bf: string,
  m: PointManifest,
  sink: RestoreSink,
  pool: FrameRunPool,
  opts: { rehash: boolean; signal: AbortSignal | undefined },
): Promise<number> {
  const ctx: RunContext = { m, fills: blocksByBlob(m), sink, rehash: opts.rehash };
  const pending = new Set<Promise<void>>();
  const closing: Promise<unknown>[] = [];
  let failure: unknown;
  let written = 0;
  const stopped = () => failure !== undefined || opts.signal?.aborted === true;

  /** Starts a run once there is room; `jobs` collects it for the pack's close. */
  const submit = async (run: RestoreRun, jobs: Promise<void>[]): Promise<void> => {
    while (pending.size >= pool.maxInFlight) await Promise.race(pending);
    const job = pool
      .run(run)
      .then(async (reply) => {
        if (reply.error) throw fromWire(reply.error);
        if (sink.direct) sink.direct.wrote(reply.bytesWritten);
        else await writeReturned(sink, run, reply);
        written += reply.bytesWritten;
      })
      .catch((err: unknown) => void (failure ??= err))
      .finally(() => pending.delete(job));
    pending.add(job);
    jobs.push(job);
  };

  try {
    for (const [p, frames] of framesByPack(m).entries()) {
      if (stopped()) break;
      if (frames.length === 0) continue;
      const pack = m.packs[p]!;
      const reader = await PackReader.open(paths.pack(repo.dir, bf, packKey(pack.sessionId, pack.seq)));
      const jobs: Promise<void>[] = [];
      try {
        const keys = packKeys(repo, reader.header, reader.path);
        const runs = planFrameRuns(frames, RUN_BYTES);
        const end = runs.at(-1)?.end ?? 0;
        if (end > reader.size)
          throw dmError('DM_ERR_REPO_CORRUPT', `pack is ${reader.size} bytes, points need ${end}`, {
            file: reader.path,
          });
        for (const run of runs) {
          if (stopped()) break;
          await submit(restoreRunFor(ctx, run, reader, keys), jobs);
        }
      } finally {
        // The pack's fd stays open until every run reading it has settled.
        closing.push(Promise.all(jobs).then(() => reader.close().catch(() => undefined)));
      }
    }
  } finally {
    await Promise.all(pending);
    await Promise.all(closing);
  }
  if (failure) throw failure;
  if (opts.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'restore was aborted');
  return written;
}
