/**
 * Progress events, the same shape for every long-running job (backup, restore, verify): one
 * `onProgress` callback in the options, called at most every PROGRESS_INTERVAL_MS and once at the
 * end of each phase with done === total.
 */
import { performance } from 'node:perf_hooks';

export interface ProgressEvent {
  readonly operation: 'backup' | 'restore' | 'verify';
  /** What is running, e.g. 'open', 'read', 'commit', 'done'. */
  readonly phase: string;
  /** Bytes of the virtual disk (backup, restore) or of the repository (verify) handled so far. */
  readonly doneBytes: number;
  readonly totalBytes: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** A progress bar redraw costs far more than a block; ten events a second are plenty. */
export const PROGRESS_INTERVAL_MS = 100;

/** Throttles a listener: every phase change and completion passes, byte updates at most 10/s. */
export function throttledProgress(
  operation: ProgressEvent['operation'],
  listener: ProgressListener | undefined,
): (phase: string, doneBytes: number, totalBytes: number) => void {
  if (!listener) return () => {};
  let last = -Infinity;
  let lastPhase = '';
  return (phase, doneBytes, totalBytes) => {
    const now = performance.now();
    if (phase === lastPhase && doneBytes < totalBytes && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    lastPhase = phase;
    listener({ operation, phase, doneBytes, totalBytes });
  };
}
