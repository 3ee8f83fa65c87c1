/**
 * Worker entry (piscina) for restore and verify runs (frame-run-protocol.ts). Each thread keeps one
 * RangeReader, so its read buffer is reused run after run. Errors travel as `toWire` data in the
 * reply (frame-run.ts: thrown errors lose their DM_ERR code when cloned across threads).
 */
import { move } from 'piscina';
import type { FrameRun } from './frame-run-protocol.js';
import { runFrameTask } from './frame-run.js';
import { RangeReader } from './range-reader.js';

const kTransferable = Symbol.for('Piscina.transferable');
const kValue = Symbol.for('Piscina.valueOf');

const reader = new RangeReader();

/** Resolves after one turn of this thread's event loop (its check phase). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export default async function frameRunWorker(run: FrameRun): Promise<unknown> {
  const reply = runFrameTask(run, reader);
  // One event-loop turn per run: Node 20 frees N-API output buffers (lz4-napi) from finalizers that
  // run there; back-to-back runs would otherwise starve them (see pool.ts, atomics).
  await nextTurn();
  const blocks = 'blocks' in reply ? reply.blocks : undefined;
  if (!blocks) return reply;
  return move({ [kTransferable]: [blocks.buffer], [kValue]: reply } as never);
}
