/**
 * The seal engine on the BlockPool's worker threads. Each block's ring buffer is both the slot's
 * `data` and its `out` (sealing writes the payload over the dead input), so a block costs one
 * buffer and the pool moves one ArrayBuffer per block each way. Jobs with read maps are read by
 * the worker that hashes them (readsBlocks).
 */
import { performance } from 'node:perf_hooks';
import { IDENTITY_BYTES, NONCE_BYTES } from '../core/blob.js';
import type { BatchResult, BlockCompute } from '../workers/pool.js';
import type { BlockSlot } from '../workers/block-slot.js';
import type {
  BlockJob,
  EngineResult,
  HashedJob,
  ReadPaths,
  SealConfig,
  SealEngine,
  SealedJob,
  ZeroJob,
} from './seal-engine.js';

function slotsOf(jobs: BlockJob[]): BlockSlot[] {
  return jobs.map((j) => ({ data: j.buffer, out: j.buffer, length: j.length }));
}

function packed(parts: (Uint8Array | undefined)[], width: number): Uint8Array | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  const out = new Uint8Array(parts.length * width);
  parts.forEach((p, i) => out.set(p!, i * width));
  return out;
}

/** Read maps of the batch, or undefined when no job has one. */
function readsOf(jobs: BlockJob[]): (Float64Array | undefined)[] | undefined {
  return jobs.some((j) => j.reads) ? jobs.map((j) => j.reads) : undefined;
}

/** The batch fields that carry read maps, when there are any. */
function readsField(reads: (Float64Array | undefined)[] | undefined, readPaths: ReadPaths | undefined) {
  return reads ? { reads, ...(readPaths ? { readPaths } : {}) } : {};
}

/** Splits a batch's results into zero-read jobs, jobs the `known` set held, and the rest (`make`). */
function split<T>(
  jobs: BlockJob[],
  slots: BlockSlot[],
  r: BatchResult,
  started: number,
  make: (j: BlockJob, buffer: Uint8Array, i: number) => T,
): EngineResult<T> {
  const out: T[] = [];
  const zeroJobs: ZeroJob[] = [];
  const knownJobs: HashedJob[] = [];
  jobs.forEach((j, i) => {
    const buffer = slots[i]!.data;
    if (r.zero[i]) zeroJobs.push({ index: j.index, buffer, length: j.length });
    else if (r.known[i])
      knownJobs.push({ index: j.index, buffer, length: j.length, identity: r.identity(i).slice() });
    else out.push(make(j, buffer, i));
  });
  return {
    jobs: out,
    zeroJobs,
    knownJobs,
    bytesRead: r.bytesRead,
    readMs: r.readMs,
    computeMs: performance.now() - started,
  };
}

/** An engine on `pool`; `owned`: close() closes the pool too. */
export function poolEngine(config: SealConfig, pool: BlockCompute, owned: boolean): SealEngine {
  return {
    computeThreads: pool.threads,
    readsBlocks: true,
    async hash(jobs, readPaths): Promise<EngineResult<HashedJob>> {
      const t = performance.now();
      const slots = slotsOf(jobs);
      const reads = readsOf(jobs);
      const r = await pool.submit({
        op: 'hash',
        slots,
        ...(config.identityKey ? { identityKey: config.identityKey } : {}),
        ...readsField(reads, readPaths),
      });
      return split(jobs, slots, r, t, (j, buffer, i) => ({
        index: j.index,
        buffer,
        length: j.length,
        identity: r.identity(i).slice(),
      }));
    },
    async seal(jobs, readPaths): Promise<EngineResult<SealedJob>> {
      const t = performance.now();
      const slots = slotsOf(jobs);
      const identities = packed(
        jobs.map((j) => j.identity),
        IDENTITY_BYTES,
      );
      const nonces = config.blobKey
        ? packed(
            jobs.map((j) => j.nonce),
            NONCE_BYTES,
          )
        : undefined;
      const reads = identities ? undefined : readsOf(jobs);
      const r = await pool.submit({
        op: identities ? 'seal' : 'hashAndSeal',
        level: config.level,
        slots,
        ...(config.identityKey ? { identityKey: config.identityKey } : {}),
        ...(config.blobKey ? { blobKey: config.blobKey } : {}),
        ...(identities ? { identities } : {}),
        ...(nonces ? { nonces } : {}),
        ...(config.known ? { known: config.known } : {}),
        ...readsField(reads, readPaths),
      });
      return split(jobs, slots, r, t, (j, buffer, i) => ({
        index: j.index,
        buffer,
        sealed: {
          identity: r.identity(i),
          codec: r.codecs[i]!,
          rawLength: j.length,
          payload: buffer.subarray(0, r.payloadLengths[i]!),
          nonce: j.nonce,
          frameHeader: r.frameHeader(i),
        },
      }));
    },
    close: () => (owned ? pool.close() : Promise.resolve()),
  };
}
