/**
 * Worker-thread side of the thread engine: seals or hashes batches of blocks and moves every
 * buffer back (transferList both ways: no copy, and the ring gets its memory back).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { isDmError } from '../errors.js';
import { blockIdentity } from '../workers/identity.js';
import { sealOne } from './inline-engine.js';
import type { SealConfig } from './seal-engine.js';
import type { WireBatch, WireReply } from './thread-wire.js';

const config = workerData as SealConfig;

parentPort!.on('message', (msg: WireBatch) => {
  const t = performance.now();
  let reply: WireReply;
  try {
    const jobs = msg.jobs.map((j) => {
      const buffer = new Uint8Array(j.buffer);
      if (msg.op === 'hash') {
        const identity = blockIdentity(buffer.subarray(0, j.length), config.identityKey);
        return {
          index: j.index,
          buffer: j.buffer,
          identity,
          codec: 0,
          rawLength: j.length,
          payloadLength: 0,
        };
      }
      const s = sealOne(config, {
        index: j.index,
        buffer,
        length: j.length,
        ...(j.identity ? { identity: j.identity } : {}),
        ...(j.nonce ? { nonce: j.nonce } : {}),
      });
      return {
        index: j.index,
        buffer: j.buffer,
        identity: s.sealed.identity,
        codec: s.sealed.codec,
        rawLength: s.sealed.rawLength,
        payloadLength: s.sealed.payload.length,
        ...(s.sealed.nonce ? { nonce: s.sealed.nonce } : {}),
      };
    });
    reply = { id: msg.id, jobs, computeMs: performance.now() - t };
  } catch (err) {
    const wire = isDmError(err)
      ? { code: err.code, message: err.message }
      : { code: 'DM_ERR_WORKER_FAILED' as const, message: String(err) };
    reply = {
      id: msg.id,
      jobs: msg.jobs.map((j) => ({
        index: j.index,
        buffer: j.buffer,
        identity: new Uint8Array(0),
        codec: 0,
        rawLength: 0,
        payloadLength: 0,
      })),
      computeMs: 0,
      error: wire,
    };
  }
  parentPort!.postMessage(
    reply,
    reply.jobs.map((j) => j.buffer),
  );
});
