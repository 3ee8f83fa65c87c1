/**
 * Groups frames into sequential read runs: frames closer than MAX_GAP are read through (one big
 * read beats many small ones), farther ones start a new run.
 */
const MAX_GAP = 4 * 1024 * 1024;

export interface ReadRun {
  readonly start: number;
  readonly end: number;
}

export function planRuns(frames: readonly { offset: number; length: number }[]): ReadRun[] {
  const sorted = [...frames].sort((a, b) => a.offset - b.offset);
  const runs: { start: number; end: number }[] = [];
  for (const f of sorted) {
    const last = runs.at(-1);
    if (last && f.offset >= last.end && f.offset - last.end <= MAX_GAP)
      last.end = Math.max(last.end, f.offset + f.length);
    else runs.push({ start: f.offset, end: f.offset + f.length });
  }
  return runs;
}
