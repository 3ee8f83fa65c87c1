/**
 * Worker entry (piscina): runs one BatchRequest synchronously and moves every buffer back.
 * Errors never escape as exceptions: they travel as `toWire` data next to the buffers, so the main
 * thread gets both its buffers and a catalog error (thrown errors lose their code when cloned).
 */
import { move } from 'piscina';
import { IDENTITY_BYTES, NONCE_BYTES } from '../core/blob.js';
import { toWire, type WireError } from '../errors.js';
import { buffersOf, type BatchReply, type BatchRequest } from './batch-protocol.js';
import { identityInto } from './identity.js';
import { sealBlockInto } from './seal.js';

const kTransferable = Symbol.for('Piscina.transferable');
const kValue = Symbol.for('Piscina.valueOf');

interface ReplyArrays {
  readonly identities: Uint8Array;
  readonly codecs: Uint8Array;
  readonly payloadLengths: Uint32Array;
}

function nonceAt(req: BatchRequest, i: number): Uint8Array | undefined {
  return req.nonces?.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES);
}

function sealAll(req: BatchRequest, reply: ReplyArrays): void {
  const hashes = req.op !== 'seal';
  const seals = req.op !== 'hash';
  for (let i = 0; i < req.data.length; i++) {
    const block = req.data[i]!.subarray(0, req.lengths[i]);
    const idAt = i * IDENTITY_BYTES;
    if (hashes) identityInto(block, req.identityKey, reply.identities, idAt);
    if (!seals) continue;
    const nonce = nonceAt(req, i);
    const head = sealBlockInto(
      block,
      {
        level: req.level,
        identity: reply.identities.subarray(idAt, idAt + IDENTITY_BYTES),
        ...(req.blobKey ? { blobKey: req.blobKey } : {}),
        ...(nonce ? { nonce } : {}),
      },
      req.out[i]!,
    );
    reply.codecs[i] = head.codec;
    reply.payloadLengths[i] = head.payloadLength;
  }
}

/** Resolves after one turn of this thread's event loop (its check phase). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export default async function blockWorker(req: BatchRequest): Promise<unknown> {
  const n = req.data.length;
  const identities =
    req.op === 'seal' && req.identities ? req.identities : new Uint8Array(n * IDENTITY_BYTES);
  const reply: ReplyArrays = { identities, codecs: new Uint8Array(n), payloadLengths: new Uint32Array(n) };
  let error: WireError | undefined;
  try {
    sealAll(req, reply);
  } catch (err) {
    error = toWire(err);
  }
  // Let the event loop turn once per batch: Node 20 runs N-API finalizers from setImmediate, so an
  // N-API buffer made per block (lz4-napi's outputs did, before the codecs wrote into our buffers)
  // would never be freed between back-to-back batches (see pool.ts, atomics). Kept as a guard: it
  // measured the same as without.
  await nextTurn();
  const value: BatchReply = { data: req.data, out: req.out, ...reply, error };
  const transfer = [...buffersOf(req.out, buffersOf(req.data))];
  return move({ [kTransferable]: transfer, [kValue]: value } as never);
}
