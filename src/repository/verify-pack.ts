/**
 * Verify's unit of work: one referenced pack, checked up to its committed length. Its outcome
 * (frames, bytes, problems, damaged points, warnings) is merged by verifyRepository in pack order,
 * so the report is the same whichever thread did the checking. This file also holds the
 * main-thread checker (`threads: 0`); pipeline/verify-parallel.ts is the worker-thread one.
 */
import { dmError, isDmError } from '../errors.js';
import { DecodeScratch, checkFrame, decodeFrame } from '../compute/frame-open.js';
import type { FrameKeys } from '../compute/frame-open.js';
import { PACK_HEADER_SIZE } from '../format/constants.js';
import type { PackHeader } from '../format/pack-header.js';
import type { RepoHandle } from './handle.js';
import { PackReader } from './pack-reader.js';
import { problemOf } from './problem.js';
import type { VerifyProblem } from './problem.js';

export type { VerifyProblem } from './problem.js';
export { problemOf } from './problem.js';

export interface FrameRefs {
  readonly identity: Uint8Array;
  /** Ids of the points that use this frame. */
  readonly points: Set<string>;
}

export interface PackToCheck {
  readonly file: string;
  /** Committed end: the largest valid length any point records. */
  readonly end: number;
  /** Referenced frames: offset → identity and points. */
  readonly wanted: Map<number, FrameRefs>;
  /** Warning to give when the file is longer than `end`. */
  readonly tailWarning: string;
}

export interface PackOutcome {
  frames: number;
  bytes: number;
  readonly problems: VerifyProblem[];
  readonly damaged: Set<string>;
  readonly warnings: string[];
}

export function newOutcome(): PackOutcome {
  return { frames: 0, bytes: 0, problems: [], damaged: new Set(), warnings: [] };
}

/** Marks the points using the frame at `offset` (every referenced frame when undefined) damaged. */
export function markDamaged(pack: PackToCheck, out: PackOutcome, offset?: number): void {
  const refs = offset === undefined ? [...pack.wanted.values()] : [pack.wanted.get(offset)];
  for (const r of refs) r?.points.forEach((id) => out.damaged.add(id));
}

/** Verify checks every frame as it finds it (a plain frame in an encrypted repository fails there). */
export function verifyKeys(repo: RepoHandle, header: PackHeader): FrameKeys {
  return {
    blobKey: repo.keys && header.encrypted ? repo.keys.deriveBlobKey(header.salt) : undefined,
    identityKey: repo.keys?.identityKey,
  };
}

/** Opens the pack, or records why it cannot be checked and returns undefined. */
export async function openForCheck(pack: PackToCheck, out: PackOutcome): Promise<PackReader | undefined> {
  try {
    const reader = await PackReader.open(pack.file);
    if (reader.size > pack.end) out.warnings.push(pack.tailWarning);
    return reader;
  } catch (err) {
    out.problems.push(problemOf(pack.file, err));
    markDamaged(pack, out);
    return undefined;
  }
}

/** Referenced frames no walk reached: their points cannot be restored. */
export function reportUnseen(pack: PackToCheck, out: PackOutcome, seen: Set<number>): void {
  for (const [offset, r] of pack.wanted)
    if (!seen.has(offset)) {
      r.points.forEach((id) => out.damaged.add(id));
      out.problems.push({
        file: pack.file,
        code: 'DM_ERR_REPO_CORRUPT',
        message: `no readable frame at offset ${offset}`,
      });
    }
}

export async function checkPackOnMainThread(
  repo: RepoHandle,
  pack: PackToCheck,
  signal: AbortSignal | undefined,
): Promise<PackOutcome> {
  const out = newOutcome();
  const scratch = new DecodeScratch(); // verify only needs each block until it is hashed
  const { file, end, wanted } = pack;
  const reader = await openForCheck(pack, out);
  if (!reader) return out;
  try {
    const keys = verifyKeys(repo, reader.header);
    const seen = new Set<number>();
    // Scan from the header; after a damaged frame header, resume at the next referenced frame.
    const resumeAt = [...wanted.keys()].sort((a, b) => a - b);
    let from = PACK_HEADER_SIZE;
    while (from < end) {
      let at = from; // where the next frame header is read: where a scan failure lies
      try {
        await reader.scanFrames(from, end, (f) => {
          if (signal?.aborted) throw dmError('DM_ERR_ABORTED', 'verify was aborted');
          const r = wanted.get(f.offset);
          out.frames++;
          seen.add(f.offset);
          at = f.offset + f.headerBytes.length + f.payload.length;
          try {
            checkFrame(f, keys, file, { expected: r?.identity, full: true });
            out.bytes += decodeFrame(f, keys, file, true, scratch.get(f.header.rawLength)).length;
          } catch (err) {
            out.problems.push(problemOf(file, err));
            markDamaged(pack, out, f.offset);
          }
        });
        break;
      } catch (err) {
        if (isDmError(err, 'DM_ERR_ABORTED')) throw err;
        out.problems.push(problemOf(file, err));
        const next = resumeAt.find((o) => o > at && !seen.has(o));
        if (next === undefined) break;
        from = next;
      }
    }
    reportUnseen(pack, out, seen);
  } finally {
    await reader.close();
  }
  return out;
}
