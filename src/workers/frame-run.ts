/**
 * Runs one restore or verify run in the calling thread (a frame-run worker, or the main thread
 * while the pool's threads are still starting). Never throws: a failure travels as `toWire` data
 * in the reply, which is what crosses a thread boundary intact.
 */
import { toWire } from '../errors.js';
import type { FrameRun, FrameRunReply } from './frame-run-protocol.js';
import { restoreRun } from './frame-run-restore.js';
import { verifyRun } from './frame-run-verify.js';
import type { RangeReader } from './range-reader.js';

export function runFrameTask(run: FrameRun, reader: RangeReader): FrameRunReply {
  if (run.op === 'ping') return { error: undefined };
  try {
    return run.op === 'restore' ? restoreRun(run, reader) : verifyRun(run, reader);
  } catch (err) {
    const error = toWire(err);
    return run.op === 'restore'
      ? { error, bytesWritten: 0, blocks: undefined, blockLengths: undefined }
      : { error, frames: 0, bytes: 0, seen: new Uint8Array(run.offsets.length), problems: [] };
  }
}
