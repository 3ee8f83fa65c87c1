/**
 * Restore with everything on the main thread (`threads: 0`, single-core hosts): each pack is read
 * in large sequential runs (PackReader reads the next chunk while this one decodes), every wanted
 * frame is checked and decoded here, and the sink writes asynchronously (bounded writes in flight).
 */
import { dmError } from '../errors.js';
import { toHex } from '../format/bytes.js';
import type { PointManifest } from '../format/manifest.js';
import type { RepoHandle } from './handle.js';
import { packKey, paths } from './layout.js';
import { checkFrame, decodeFrame } from '../compute/frame-open.js';
import { PackReader } from './pack-reader.js';
import type { RestoreSink } from './restore-sink.js';
import { planRuns } from './read-plan.js';
import { blocksByBlob, framesByPack, packKeys } from './restore-plan.js';

const MAX_WRITES_IN_FLIGHT = 8;

export async function restoreOnMainThread(
  repo: RepoHandle,
  bf: string,
  m: PointManifest,
  sink: RestoreSink,
  opts: { rehash: boolean; signal: AbortSignal | undefined },
): Promise<number> {
  const { start, list } = blocksByBlob(m);
  const inFlight: Promise<void>[] = [];
  let written = 0;
  let seen = 0;
  /** Writes one decoded blob to every block that uses it (bounded number of writes in flight). */
  const place = async (bi: number, data: Uint8Array) => {
    for (let k = start[bi]!; k < start[bi + 1]!; k++) {
      const w = sink.write(data, list[k]! * m.blockSize);
      w.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
      inFlight.push(w);
      written += data.length;
      if (inFlight.length >= MAX_WRITES_IN_FLIGHT) await inFlight.shift();
    }
  };
  try {
    for (const [p, frames] of framesByPack(m).entries()) {
      if (frames.length === 0) continue;
      const pack = m.packs[p]!;
      const file = paths.pack(repo.dir, bf, packKey(pack.sessionId, pack.seq));
      const wanted = new Map(frames.map((f) => [f.offset, f.blob]));
      const reader = await PackReader.open(file);
      try {
        const keys = packKeys(repo, reader.header, file);
        for (const run of planRuns(frames)) {
          await reader.scanFrames(run.start, run.end, async (f) => {
            if (opts.signal?.aborted) throw dmError('DM_ERR_ABORTED', 'restore was aborted');
            const bi = wanted.get(f.offset);
            if (bi === undefined) return;
            const blob = m.blobs[bi]!;
            if (f.headerBytes.length + f.payload.length !== blob.frameLength)
              throw dmError('DM_ERR_REPO_CORRUPT', 'frame length differs from the manifest', {
                file,
                offset: f.offset,
              });
            checkFrame(f, keys, file, { expected: blob.identity, full: opts.rehash });
            seen++;
            await place(bi, decodeFrame(f, keys, file, opts.rehash));
          });
        }
      } finally {
        await reader.close();
      }
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
  await Promise.all(inFlight);
  if (seen !== m.blobs.length)
    throw dmError(
      'DM_ERR_REPO_CORRUPT',
      `point ${toHex(m.id)}: ${m.blobs.length - seen} blob(s) not found in their packs`,
    );
  return written;
}
