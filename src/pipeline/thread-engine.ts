/**
 * A seal engine on N worker threads with buffers moved both ways (no clone). Interim: it stands in
 * for the compute engineer's piscina BlockPool (src/workers/pool.ts) until that lands; the
 * pipeline sees only the SealEngine interface, so the swap is one line in create-engine.ts.
 * Batches go to the thread with the fewest outstanding batches.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CodecIdValue } from '../core/blob.js';
import { DmError, dmError } from '../errors.js';
import type { BlockJob, EngineResult, HashedJob, SealConfig, SealEngine, SealedJob } from './seal-engine.js';
import type { WireBatch, WireJob, WireReply } from './thread-wire.js';

interface Pending {
  resolve: (r: WireReply) => void;
  reject: (e: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/** The worker script next to this module: .js when built, .ts under tsx. */
function workerUrl(): URL {
  const js = new URL('./seal-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return js;
  return new URL('./seal-thread.ts', import.meta.url);
}

export function threadEngine(config: SealConfig, threads: number): SealEngine {
  const url = workerUrl();
  const pool: Thread[] = [];
  let nextId = 1;
  let failure: Error | undefined;
  for (let i = 0; i < threads; i++) {
    const worker = url.pathname.endsWith('.ts')
      ? // Under tsx (tests, benchmarks) the worker registers the TypeScript loader itself first.
        new Worker(
          `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true, workerData: config },
        )
      : new Worker(url, { workerData: config });
    const t: Thread = { worker, pending: new Map() };
    worker.on('message', (reply: WireReply) => {
      const p = t.pending.get(reply.id);
      t.pending.delete(reply.id);
      p?.resolve(reply);
    });
    worker.on('error', (err) => {
      failure = dmError('DM_ERR_WORKER_FAILED', `a seal thread failed: ${err.message}`, undefined, err);
      for (const p of t.pending.values()) p.reject(failure);
      t.pending.clear();
    });
    pool.push(t);
  }

  function send(op: WireBatch['op'], jobs: BlockJob[]): Promise<WireReply> {
    if (failure) return Promise.reject(failure);
    const t = pool.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = nextId++;
    const wire: WireJob[] = jobs.map((j) => ({
      index: j.index,
      buffer: j.buffer.buffer as ArrayBuffer,
      length: j.length,
      ...(j.identity ? { identity: j.identity } : {}),
      ...(j.nonce ? { nonce: j.nonce } : {}),
    }));
    return new Promise<WireReply>((resolve, reject) => {
      t.pending.set(id, { resolve, reject });
      t.worker.postMessage(
        { id, op, jobs: wire } satisfies WireBatch,
        wire.map((w) => w.buffer),
      );
    }).then((reply) => {
      if (reply.error) throw new DmError(reply.error.code, reply.error.message);
      return reply;
    });
  }

  return {
    computeThreads: threads,
    async hash(jobs): Promise<EngineResult<HashedJob>> {
      const r = await send('hash', jobs);
      return {
        jobs: r.jobs.map((j) => ({ index: j.index, buffer: new Uint8Array(j.buffer), identity: j.identity })),
        computeMs: r.computeMs,
      };
    },
    async seal(jobs): Promise<EngineResult<SealedJob>> {
      const r = await send('seal', jobs);
      return {
        jobs: r.jobs.map((j) => {
          const buffer = new Uint8Array(j.buffer);
          return {
            index: j.index,
            buffer,
            sealed: {
              identity: j.identity,
              codec: j.codec as CodecIdValue,
              rawLength: j.rawLength,
              payload: buffer.subarray(0, j.payloadLength),
              nonce: j.nonce,
            },
          };
        }),
        computeMs: r.computeMs,
      };
    },
    async close() {
      await Promise.all(pool.map((t) => t.worker.terminate()));
    },
  };
}
