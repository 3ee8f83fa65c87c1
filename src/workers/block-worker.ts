/**
 * Worker entry (a ThreadSet thread): runs each BatchRequest synchronously and moves every buffer
 * back with the reply.
 * Errors never escape as exceptions: they travel as `toWire` data next to the buffers, so the main
 * thread gets both its buffers and a catalog error (thrown errors lose their code when cloned).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { IDENTITY_BYTES, NONCE_BYTES, TAG_BYTES } from '../core/blob.js';
import { toWire, type WireError } from '../errors.js';
import { FRAME_HEADER_SIZE } from '../format/constants.js';
import { encodeFrameHeaderInto } from '../format/frame.js';
import { buffersOf, type BatchReply, type BatchRequest } from './batch-protocol.js';
import { IdentityFilter } from '../core/identity-filter.js';
import { identityInto } from '../compute/identity.js';
import { executeReadMap } from './read-map-exec.js';
import { BLOCK_WORKER_DATA } from './pool-options.js';
import { sealBlockInto } from '../compute/seal.js';
import type { ThreadMessage, ThreadReply } from './thread-set.js';
import { isAllZero } from '../compute/zero.js';

interface ReplyArrays {
  readonly identities: Uint8Array;
  readonly codecs: Uint8Array;
  readonly payloadLengths: Uint32Array;
  readonly frameHeaders: Uint8Array;
  readonly zero: Uint8Array;
  readonly known: Uint8Array;
  bytesRead: number;
  readMs: number;
}

/** The IdentityFilter over the last `known` memory seen (a job sends the same one every batch). */
let filter: IdentityFilter | undefined;

function filterOver(buffer: SharedArrayBuffer | undefined): IdentityFilter | undefined {
  if (!buffer) return undefined;
  if (filter?.buffer !== buffer) filter = IdentityFilter.over(buffer);
  return filter;
}

function nonceAt(req: BatchRequest, i: number): Uint8Array | undefined {
  return req.nonces?.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES);
}

function sealAll(req: BatchRequest, reply: ReplyArrays): void {
  const hashes = req.op !== 'seal';
  const seals = req.op !== 'hash';
  const known = hashes && seals ? filterOver(req.known) : undefined;
  for (let i = 0; i < req.data.length; i++) {
    const block = req.data[i]!.subarray(0, req.lengths[i]);
    const reads = req.reads?.[i];
    if (reads) {
      const t = performance.now();
      reply.bytesRead += executeReadMap(reads, block, req.readPaths ?? {});
      reply.readMs += performance.now() - t;
      if (isAllZero(block)) {
        reply.zero[i] = 1;
        continue;
      }
    }
    const idAt = i * IDENTITY_BYTES;
    if (hashes) identityInto(block, req.identityKey, reply.identities, idAt);
    if (!seals) continue;
    const identity = reply.identities.subarray(idAt, idAt + IDENTITY_BYTES);
    // Already stored (as far as the set knows): compressing and encrypting it would be wasted.
    if (known?.mayContain(identity)) {
      reply.known[i] = 1;
      continue;
    }
    const nonce = nonceAt(req, i);
    const head = sealBlockInto(
      block,
      {
        level: req.level,
        identity,
        ...(req.blobKey ? { blobKey: req.blobKey } : {}),
        ...(nonce ? { nonce } : {}),
      },
      req.out[i]!,
    );
    reply.codecs[i] = head.codec;
    reply.payloadLengths[i] = head.payloadLength;
    // The frame header now, while the payload is in this core's cache (its CRC covers it).
    encodeFrameHeaderInto(
      {
        identity,
        codec: head.codec,
        rawLength: block.length,
        storedLength: head.payloadLength,
        nonce,
      },
      req.out[i]!.subarray(0, head.payloadLength),
      reply.frameHeaders.subarray(i * FRAME_HEADER_SIZE, (i + 1) * FRAME_HEADER_SIZE),
    );
  }
}

/** Runs one batch; the reply carries the request's views, to be moved back. */
export function runBatch(req: BatchRequest): BatchReply {
  const n = req.data.length;
  const identities =
    req.op === 'seal' && req.identities ? req.identities : new Uint8Array(n * IDENTITY_BYTES);
  const reply: ReplyArrays = {
    identities,
    codecs: new Uint8Array(n),
    payloadLengths: new Uint32Array(n),
    frameHeaders: new Uint8Array(req.op === 'hash' ? 0 : n * FRAME_HEADER_SIZE),
    zero: new Uint8Array(n),
    known: new Uint8Array(n),
    bytesRead: 0,
    readMs: 0,
  };
  let error: WireError | undefined;
  try {
    sealAll(req, reply);
  } catch (err) {
    error = toWire(err);
  }
  return { data: req.data, out: req.out, ...reply, error };
}

/**
 * One small batch through the steps every backup uses (keyed BLAKE3, LZ4, frame header CRC), run
 * as the thread starts: the native modules load while the main thread is still opening the image
 * and the repository, instead of on the first real batch (a 4 MiB batch took 25–30 ms without
 * this, 8–17 ms with it). AES-GCM is left out: node:crypto loads on an encrypted job's first batch
 * (~10 ms once per thread) rather than in every thread of every job. zstd stays unloaded too.
 */
function warmUp(): void {
  const size = 64 * 1024;
  const block = new Uint8Array(size + TAG_BYTES);
  for (let i = 0; i < size; i++) block[i] = (i * 31) & 0x3f;
  runBatch({
    op: 'hashAndSeal',
    level: 'optimal',
    data: [block],
    out: [block],
    lengths: Uint32Array.of(size),
    identityKey: new Uint8Array(32).fill(1),
    blobKey: undefined,
    identities: undefined,
    nonces: undefined,
    reads: undefined,
    readPaths: undefined,
    known: undefined,
  });
}

if (parentPort && workerData === BLOCK_WORKER_DATA) {
  warmUp();
  const port = parentPort;
  port.on('message', ({ id, req }: ThreadMessage<BatchRequest>) => {
    const reply = runBatch(req);
    const message: ThreadReply<BatchReply> = { id, reply };
    port.postMessage(message, [...buffersOf(reply.out, buffersOf(reply.data))]);
  });
}
