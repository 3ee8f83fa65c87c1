/**
 * The seal engine on the BlockPool's worker threads. Each block's ring buffer is both
 * the slot's `data` and its `out` (sealing writes the payload over the dead input), so a block
 * costs one buffer and the pool moves one ArrayBuffer per block each way.
 */
import { performance } from 'node:perf_hooks';
import { IDENTITY_BYTES, NONCE_BYTES } from '../core/blob.js';
import type { BlockPool } from '../workers/pool.js';
import type { BlockSlot } from '../workers/buffer-ring.js';
import type { BlockJob, EngineResult, HashedJob, SealConfig, SealEngine, SealedJob } from './seal-engine.js';

function slotsOf(jobs: BlockJob[]): BlockSlot[] {
  return jobs.map((j) => ({ data: j.buffer, out: j.buffer, length: j.length }));
}

function packed(parts: (Uint8Array | undefined)[], width: number): Uint8Array | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  const out = new Uint8Array(parts.length * width);
  parts.forEach((p, i) => out.set(p!, i * width));
  return out;
}

/** An engine on `pool`; `owned`: close() closes the pool too. */
export function poolEngine(config: SealConfig, pool: BlockPool, owned: boolean): SealEngine {
  return {
    computeThreads: pool.threads,
    async hash(jobs): Promise<EngineResult<HashedJob>> {
      const t = performance.now();
      const slots = slotsOf(jobs);
      const r = await pool.submit({
        op: 'hash',
        slots,
        ...(config.identityKey ? { identityKey: config.identityKey } : {}),
      });
      return {
        jobs: jobs.map((j, i) => ({
          index: j.index,
          buffer: slots[i]!.data,
          identity: r.identity(i).slice(),
        })),
        computeMs: performance.now() - t,
      };
    },
    async seal(jobs): Promise<EngineResult<SealedJob>> {
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
      const r = await pool.submit({
        op: identities ? 'seal' : 'hashAndSeal',
        level: config.level,
        slots,
        ...(config.identityKey ? { identityKey: config.identityKey } : {}),
        ...(config.blobKey ? { blobKey: config.blobKey } : {}),
        ...(identities ? { identities } : {}),
        ...(nonces ? { nonces } : {}),
      });
      return {
        jobs: jobs.map((j, i) => {
          const buffer = slots[i]!.data;
          return {
            index: j.index,
            buffer,
            sealed: {
              identity: r.identity(i),
              codec: r.codecs[i]!,
              rawLength: j.length,
              payload: buffer.subarray(0, r.payloadLengths[i]!),
              nonce: j.nonce,
            },
          };
        }),
        computeMs: performance.now() - t,
      };
    },
    close: () => (owned ? pool.close() : Promise.resolve()),
  };
}
