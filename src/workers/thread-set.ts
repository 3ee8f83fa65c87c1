/**
 * A fixed set of worker threads answering requests by id over their own message ports: the
 * smallest machinery between the pipeline and its compute threads. Each request goes to the
 * thread with the fewest outstanding requests; a thread queues what it has not started yet in its
 * port, so nothing here waits on a free thread.
 *
 * Why not piscina here: the backup pipeline sends thousands of batches, and piscina's per-task
 * bookkeeping (task queue, task info objects, async resources, availability scans on both threads)
 * was a visible share of the main thread's CPU in perf profiles (2026-11-22, 2 GiB backup: ~15–20 %
 * of the main thread in pool mode). Here a request is one postMessage each way.
 *
 * Threads are unref'd while they have nothing outstanding, so an idle set never keeps a process
 * alive. A thread that dies (uncaught error or exit) fails its outstanding requests with
 * DM_ERR_WORKER_FAILED and leaves the rotation; when none is left every request fails so.
 */
import { fileURLToPath } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { dmError } from '../errors.js';

/** What a thread receives: `{ id, req }`; it answers `{ id, reply }` on its parentPort. */
export interface ThreadMessage<T> {
  readonly id: number;
  readonly req: T;
}

export interface ThreadReply<R> {
  readonly id: number;
  readonly reply: R;
}

export interface ThreadSetOptions {
  readonly threads: number;
  /** Worker entry (a file: URL) and the execArgv it needs (tsx when run from sources). */
  readonly filename: string;
  readonly execArgv: string[];
  /** Passed as workerData; entries use it to tell they were started by a ThreadSet. */
  readonly workerData: unknown;
  /** Names the set in errors ("compute thread", "restore thread"). */
  readonly what: string;
}

interface Pending<R> {
  readonly resolve: (reply: R) => void;
  readonly reject: (err: Error) => void;
}

class Thread<R> {
  readonly pending = new Map<number, Pending<R>>();
  alive = true;
  constructor(readonly worker: Worker) {}
}

/** Where the entry is and what it gets: a thread started for one set can serve another like it. */
type ThreadSpec = Pick<ThreadSetOptions, 'filename' | 'execArgv' | 'workerData'>;

function newWorker(o: ThreadSpec): Worker {
  // From sources the entry is .ts: ts-entry.cjs require()s it through tsx's hook (an eval'd or
  // data: URL trampoline gets no --import hooks in Node 20; piscina's workers load it the same way).
  return o.execArgv.length === 0
    ? new Worker(new URL(o.filename), { workerData: o.workerData })
    : new Worker(new URL('./ts-entry.cjs', import.meta.url), {
        argv: [fileURLToPath(o.filename)],
        execArgv: o.execArgv,
        workerData: o.workerData,
      });
}

interface Spare {
  readonly worker: Worker;
  readonly onGone: () => void;
}

/** Threads started ahead of the set that will use them (prestartThreads), by spec. */
const spares = new Map<string, Spare[]>();
const specKey = (o: ThreadSpec) => JSON.stringify([o.filename, o.execArgv, o.workerData]);

/**
 * Starts `threads` threads now for a ThreadSet of the same spec created later, which adopts them
 * instead of starting its own: a thread takes ~100 ms to boot (a Node environment and its entry),
 * and a CLI backup can start them before it has even parsed its options. Unused spares are unref'd
 * (they never keep the process alive); one that dies while waiting is dropped.
 */
export function prestartThreads(o: ThreadSpec & { readonly threads: number }): void {
  const key = specKey(o);
  const list = spares.get(key) ?? [];
  spares.set(key, list);
  for (let i = 0; i < o.threads; i++) {
    const worker = newWorker(o);
    worker.unref();
    const spare: Spare = {
      worker,
      onGone: () => {
        const at = list.indexOf(spare);
        if (at >= 0) list.splice(at, 1);
      },
    };
    worker.once('error', spare.onGone).once('exit', spare.onGone);
    list.push(spare);
  }
}

function adoptSpare(o: ThreadSpec): Worker | undefined {
  const spare = spares.get(specKey(o))?.shift();
  if (!spare) return undefined;
  spare.worker.off('error', spare.onGone).off('exit', spare.onGone);
  return spare.worker;
}

export class ThreadSet<T, R> {
  readonly #threads: Thread<R>[];
  readonly #what: string;
  #nextId = 1;
  #closed = false;
  /** Threads taken from prestartThreads' spares rather than started here. */
  readonly adopted: number;

  constructor(o: ThreadSetOptions) {
    this.#what = o.what;
    let adopted = 0;
    this.#threads = Array.from({ length: o.threads }, () => {
      const spare = adoptSpare(o);
      if (spare) adopted++;
      return this.#start(o, spare ?? newWorker(o));
    });
    this.adopted = adopted;
  }

  get size(): number {
    return this.#threads.length;
  }

  /** Sends `req` to the least busy live thread; `transfer` moves those buffers with it. */
  request(req: T, transfer: readonly TransferListItem[] = []): Promise<R> {
    if (this.#closed) return Promise.reject(dmError('DM_ERR_INTERNAL', `${this.#what} pool is closed`));
    const thread = this.#leastBusy();
    if (!thread) return Promise.reject(dmError('DM_ERR_WORKER_FAILED', `every ${this.#what} has failed`));
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      const message: ThreadMessage<T> = { id, req };
      thread.worker.postMessage(message, transfer as TransferListItem[]);
    });
  }

  /** Fails every outstanding request and stops the threads at once. */
  async destroy(): Promise<void> {
    this.#closed = true;
    for (const t of this.#threads)
      this.#fail(t, dmError('DM_ERR_WORKER_FAILED', `${this.#what} pool was destroyed`));
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }

  /** Stops the threads; callers wait for their own requests first (close() in the pools). */
  async terminate(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }

  #start(o: ThreadSetOptions, worker: Worker): Thread<R> {
    const thread = new Thread<R>(worker);
    worker.unref();
    worker.on('message', (m: ThreadReply<R>) => {
      const p = thread.pending.get(m.id);
      if (!p) return;
      thread.pending.delete(m.id);
      if (thread.pending.size === 0) worker.unref();
      p.resolve(m.reply);
    });
    worker.on('error', (err) => {
      this.#fail(thread, dmError('DM_ERR_WORKER_FAILED', `${o.what} failed: ${err.message}`, undefined, err));
    });
    worker.on('exit', (code) => {
      this.#fail(thread, dmError('DM_ERR_WORKER_FAILED', `${o.what} exited with code ${code}`));
    });
    return thread;
  }

  #leastBusy(): Thread<R> | undefined {
    let best: Thread<R> | undefined;
    for (const t of this.#threads) if (t.alive && (!best || t.pending.size < best.pending.size)) best = t;
    return best;
  }

  #fail(thread: Thread<R>, err: Error): void {
    thread.alive = false;
    const pending = [...thread.pending.values()];
    thread.pending.clear();
    for (const p of pending) p.reject(err);
  }
}
