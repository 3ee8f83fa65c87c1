/**
 * Groups frames into sequential read runs: frames closer than MAX_GAP are read through (one big
 * read beats many small ones), farther ones start a new run. `planFrameRuns` also caps a run's
 * size, so runs can be handed to worker threads as tasks of a few MiB each.
 */
const MAX_GAP = 4 * 1024 * 1024;

/**
 * Bytes per worker run: large enough that the per-run message and wake-up cost (~0.1 ms) is
 * noise next to ~8–15 ms of decoding, small enough that two threads finish together at the end.
 */
export const RUN_BYTES = 8 * 1024 * 1024;

export interface ReadRun {
  readonly start: number;
  readonly end: number;
}

export interface FrameRef {
  readonly offset: number;
  readonly length: number;
}

export interface FrameRun<F extends FrameRef> extends ReadRun {
  /** The frames of the run, in offset order. */
  readonly frames: F[];
}

/** Runs of at most `maxBytes` (a single larger frame makes a run of its own). */
export function planFrameRuns<F extends FrameRef>(frames: readonly F[], maxBytes: number): FrameRun<F>[] {
  const sorted = [...frames].sort((a, b) => a.offset - b.offset);
  const runs: { start: number; end: number; frames: F[] }[] = [];
  for (const f of sorted) {
    const last = runs.at(-1);
    const end = f.offset + f.length;
    if (last && f.offset >= last.end && f.offset - last.end <= MAX_GAP && end - last.start <= maxBytes) {
      last.end = Math.max(last.end, end);
      last.frames.push(f);
    } else runs.push({ start: f.offset, end, frames: [f] });
  }
  return runs;
}

export function planRuns(frames: readonly FrameRef[]): ReadRun[] {
  return planFrameRuns(frames, Infinity).map(({ start, end }) => ({ start, end }));
}
