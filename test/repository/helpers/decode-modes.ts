/**
 * The two ways restore and verify decode: on the main thread (`threads: 0`) and on worker threads
 * (a FrameRunPool shared by the tests of one file, so each test does not pay for thread start-up).
 * Tests that matter run once per mode.
 */
import { FrameRunPool } from '../../../src/workers/frame-run-pool.js';
import type { DecodeOptions } from '../../../src/pipeline/parallel-open.js';

let shared: FrameRunPool | undefined;

export interface DecodeMode {
  readonly mode: string;
  readonly decode: () => DecodeOptions;
}

/** Two worker threads shared by the tests of one file (started on first use). */
export function sharedPool(): FrameRunPool {
  return (shared ??= new FrameRunPool({ threads: 2 }));
}

export const DECODE_MODES: readonly DecodeMode[] = [
  { mode: 'main thread', decode: () => ({ threads: 0 }) },
  { mode: 'workers', decode: () => ({ pool: sharedPool() }) },
];

/** Call from afterAll: stops the shared pool's threads. */
export async function closeSharedPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
