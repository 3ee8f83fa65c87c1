/**
 * Verify on worker threads: each pack is cut at referenced frame offsets into runs of a few MiB
 * (every byte from the pack header to the committed end belongs to exactly one run), and each run
 * goes to a worker that reads it and fully checks every frame in it (frame-run-verify.ts). At most
 * `pool.maxInFlight` runs are outstanding; a pack's fd is closed once its runs have settled. The
 * per-run results are merged in offset order, so the report matches the main-thread one.
 */
import { IDENTITY_BYTES } from '../core/blob.js';
import { dmError, fromWire, toWire } from '../errors.js';
import type { FrameRunPool } from '../workers/frame-run-pool.js';
import type { VerifyRun, VerifyRunReply } from '../workers/frame-run-protocol.js';
import type { FrameKeys } from '../compute/frame-open.js';
import { PACK_HEADER_SIZE } from '../format/constants.js';
import type { RepoHandle } from '../repository/handle.js';
import type { PackReader } from '../repository/pack-reader.js';
import { RUN_BYTES } from '../repository/read-plan.js';
import type { PackOutcome, PackToCheck } from '../repository/verify-pack.js';
import {
  markDamaged,
  newOutcome,
  openForCheck,
  problemOf,
  reportUnseen,
  verifyKeys,
} from '../repository/verify-pack.js';

interface VerifySpan {
  readonly start: number;
  end: number;
  readonly refs: number[];
}

/** Cuts [PACK_HEADER_SIZE, end) at referenced offsets into spans of about RUN_BYTES. */
function spansOf(pack: PackToCheck): VerifySpan[] {
  if (pack.end <= PACK_HEADER_SIZE) return [];
  const spans: VerifySpan[] = [{ start: PACK_HEADER_SIZE, end: pack.end, refs: [] }];
  const refs = [...pack.wanted.keys()].filter((o) => o < pack.end).sort((a, b) => a - b);
  for (const o of refs) {
    const last = spans.at(-1)!;
    if (o - last.start >= RUN_BYTES) {
      last.end = o;
      spans.push({ start: o, end: pack.end, refs: [o] });
    } else if (o >= last.start) last.refs.push(o);
  }
  return spans;
}

function runFor(pack: PackToCheck, span: VerifySpan, reader: PackReader, keys: FrameKeys): VerifyRun {
  const identities = new Uint8Array(span.refs.length * IDENTITY_BYTES);
  span.refs.forEach((o, i) => identities.set(pack.wanted.get(o)!.identity, i * IDENTITY_BYTES));
  return {
    op: 'verify',
    packFd: reader.fd,
    packPath: pack.file,
    start: span.start,
    end: span.end,
    packEnd: pack.end,
    blobKey: keys.blobKey,
    identityKey: keys.identityKey,
    offsets: Float64Array.from(span.refs),
    identities,
  };
}

/** Folds one run's reply into its pack's outcome. */
function merge(
  pack: PackToCheck,
  out: PackOutcome,
  span: VerifySpan,
  reply: VerifyRunReply,
  seen: Set<number>,
) {
  if (reply.error) out.problems.push(problemOf(pack.file, fromWire(reply.error)));
  out.frames += reply.frames;
  out.bytes += reply.bytes;
  span.refs.forEach((o, i) => reply.seen[i] && seen.add(o));
  for (const p of reply.problems) {
    out.problems.push(problemOf(pack.file, fromWire(p.error)));
    markDamaged(pack, out, p.offset);
  }
}

export async function checkPacksOnWorkers(
  repo: RepoHandle,
  packs: readonly PackToCheck[],
  pool: FrameRunPool,
  signal: AbortSignal | undefined,
): Promise<PackOutcome[]> {
  const outcomes = packs.map(() => newOutcome());
  const pending = new Set<Promise<void>>();
  const closing: Promise<void>[] = [];
  try {
    for (const [i, pack] of packs.entries()) {
      if (signal?.aborted) break;
      const out = outcomes[i]!;
      const reader = await openForCheck(pack, out);
      if (!reader) continue;
      const keys = verifyKeys(repo, reader.header);
      const spans = spansOf(pack);
      const replies: VerifyRunReply[] = [];
      const jobs: Promise<void>[] = [];
      for (const [s, span] of spans.entries()) {
        if (signal?.aborted) break;
        while (pending.size >= pool.maxInFlight) await Promise.race(pending);
        const empty = { frames: 0, bytes: 0, seen: new Uint8Array(span.refs.length), problems: [] };
        const job = pool
          .run(runFor(pack, span, reader, keys))
          .then(
            (reply) => void (replies[s] = reply),
            (err: unknown) => void (replies[s] = { ...empty, error: toWire(err) }),
          )
          .finally(() => pending.delete(job));
        pending.add(job);
        jobs.push(job);
      }
      closing.push(
        Promise.all(jobs).then(async () => {
          await reader.close().catch(() => undefined);
          const seen = new Set<number>();
          spans.forEach((span, s) => replies[s] && merge(pack, out, span, replies[s], seen));
          reportUnseen(pack, out, seen);
        }),
      );
    }
  } finally {
    await Promise.all(pending);
    await Promise.all(closing);
  }
  if (signal?.aborted) throw dmError('DM_ERR_ABORTED', 'verify was aborted');
  return outcomes;
}
