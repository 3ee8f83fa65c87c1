/**
 * The compute stages on the calling thread: no transfer, no pool. Used for small jobs, tests and as
 * the single-thread reference in benchmarks.
 */
import { performance } from 'node:perf_hooks';
import { blockIdentity } from '../compute/identity.js';
import { sealBlockInto } from '../compute/seal.js';
import type { BlockJob, EngineResult, HashedJob, SealConfig, SealEngine, SealedJob } from './seal-engine.js';

/** This engine reads nothing itself (readsBlocks false: the pipeline reads for it). */
const NOTHING_READ = { zeroJobs: [], bytesRead: 0, readMs: 0 } as const;

export function inlineEngine(config: SealConfig): SealEngine {
  return {
    computeThreads: 1,
    readsBlocks: false,
    hash(jobs) {
      const t = performance.now();
      const out: HashedJob[] = jobs.map((j) => ({
        index: j.index,
        buffer: j.buffer,
        length: j.length,
        identity: blockIdentity(j.buffer.subarray(0, j.length), config.identityKey),
      }));
      return Promise.resolve({ ...NOTHING_READ, jobs: out, computeMs: performance.now() - t });
    },
    seal(jobs) {
      const t = performance.now();
      const out: SealedJob[] = jobs.map((j) => sealOne(config, j));
      return Promise.resolve({
        ...NOTHING_READ,
        jobs: out,
        computeMs: performance.now() - t,
      } satisfies EngineResult<SealedJob>);
    },
    close: () => Promise.resolve(),
  };
}

/** Seals one block in place: the payload overwrites the block in its own buffer. */
export function sealOne(config: SealConfig, job: BlockJob): SealedJob {
  const h = sealBlockInto(
    job.buffer.subarray(0, job.length),
    {
      level: config.level,
      ...(config.identityKey ? { identityKey: config.identityKey } : {}),
      ...(config.blobKey ? { blobKey: config.blobKey } : {}),
      ...(job.nonce ? { nonce: job.nonce } : {}),
      ...(job.identity ? { identity: job.identity } : {}),
    },
    job.buffer,
    0,
  );
  return {
    index: job.index,
    buffer: job.buffer,
    sealed: {
      identity: h.identity,
      codec: h.codec,
      rawLength: h.rawLength,
      payload: job.buffer.subarray(0, h.payloadLength),
      nonce: h.nonce,
    },
  };
}
