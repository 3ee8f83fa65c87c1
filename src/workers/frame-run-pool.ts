/**
 * FrameRunPool: worker threads (piscina) that restore and verify whole runs of pack frames
 * (frame-run-worker.ts). A pool of its own rather than an op on BlockPool (it had one, `open`,
 * now removed): BlockPool moves every block through a recycled slot and back, so the main thread
 * still copied each payload in and wrote each block out (measured slower than one thread); here a
 * run is a few hundred bytes of description and the worker does the reading, checking, decoding
 * and (raw target) writing.
 *
 * Start-up: a thread takes ~0.1–0.3 s to boot and load its native modules (more on a loaded
 * machine, and more from sources through tsx), which is a large share of a 1 GiB restore. So the
 * threads start at construction (callers construct the pool before loading manifests), each is
 * pinged, and until the first ping comes back `run` executes runs on the calling thread itself
 * (yielding one event-loop turn between runs so the pings can arrive): no time is lost waiting.
 *
 * The caller bounds how many runs are in flight (pipeline/restore-parallel.ts, verify-parallel.ts); `run`
 * itself never refuses. A thread that dies rejects its run with DM_ERR_WORKER_FAILED.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { dmError, isDmError } from '../errors.js';
import type {
  FrameRunReply,
  RestoreRun,
  RestoreRunReply,
  VerifyRun,
  VerifyRunReply,
} from './frame-run-protocol.js';
import { runFrameTask } from './frame-run.js';
import { RangeReader } from './range-reader.js';
import { workerEntry } from './worker-entry.js';

export interface FrameRunPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  readonly threads?: number;
  /** Run on the calling thread until a worker is up (default true). */
  readonly helpWhileStarting?: boolean;
}

/** Resolves after one turn of the event loop (lets thread messages in). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class FrameRunPool {
  readonly threads: number;
  readonly #piscina: Piscina;
  #closed = false;
  #ready = 0;
  /** The calling thread's reader while it helps out; dropped once a thread is up. */
  #local: RangeReader | undefined;

  constructor(options: FrameRunPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1)
      throw dmError('DM_ERR_ARG_INVALID', `threads must be a positive integer, got ${threads}`, {
        field: 'threads',
      });
    this.threads = threads;
    const entry = workerEntry('frame-run-worker');
    this.#piscina = new Piscina({
      filename: entry.filename,
      execArgv: entry.execArgv,
      minThreads: threads, // started now, so they boot while the caller loads manifests
      maxThreads: threads,
      // 'async' as in BlockPool: lets each worker's event loop turn, where N-API buffers are freed.
      atomics: 'async',
      idleTimeout: 60_000,
    });
    if (options.helpWhileStarting !== false) this.#local = new RangeReader();
    for (let i = 0; i < threads; i++)
      this.#piscina.run({ op: 'ping' }).then(
        () => void (this.#ready++, (this.#local = undefined)),
        () => undefined, // a thread that cannot start fails the runs sent to it
      );
  }

  /** Threads that have answered their start-up ping. */
  get readyThreads(): number {
    return this.#ready;
  }

  /** Runs in flight to keep every thread busy with one queued behind it. */
  get maxInFlight(): number {
    return 2 * this.threads;
  }

  /** Live worker threads (0 once closed). */
  get liveThreads(): number {
    return this.#piscina.threads.length;
  }

  run(task: RestoreRun): Promise<RestoreRunReply>;
  run(task: VerifyRun): Promise<VerifyRunReply>;
  async run(task: RestoreRun | VerifyRun): Promise<FrameRunReply> {
    if (this.#closed) throw dmError('DM_ERR_INTERNAL', 'FrameRunPool is closed');
    if (this.#local) {
      await nextTurn();
      if (this.#local) return runFrameTask(task, this.#local);
    }
    try {
      return (await this.#piscina.run(task)) as FrameRunReply;
    } catch (err) {
      throw isDmError(err)
        ? err
        : dmError('DM_ERR_WORKER_FAILED', `worker failed: ${String(err)}`, undefined, err);
    }
  }

  /** Finishes queued runs, then stops the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#piscina.close();
  }

  /** Stops the threads at once; queued runs reject. */
  async destroy(): Promise<void> {
    this.#closed = true;
    await this.#piscina.destroy();
  }
}
