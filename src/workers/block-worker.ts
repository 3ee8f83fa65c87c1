/**
 * Worker entry (piscina): runs one BatchRequest synchronously and moves every buffer back.
 * Errors never escape as exceptions: they travel as `toWire` data next to the buffers, so the main
 * thread gets both its buffers and a catalog error (thrown errors lose their code when cloned).
 */
import { move } from 'piscina';
import { IDENTITY_BYTES, NONCE_BYTES, type CodecIdValue } from '../core/blob.js';
import { dmError, toWire, type WireError } from '../errors.js';
import { buffersOf, type BatchReply, type BatchRequest } from './batch-protocol.js';
import { identityInto } from './identity.js';
import { openSealed, sealBlockInto } from './seal.js';

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

function openAll(req: BatchRequest, reply: ReplyArrays): void {
  const { codecs, rawLengths } = req;
  if (!codecs || !rawLengths) throw dmError('DM_ERR_INTERNAL', 'open needs codecs and raw lengths');
  for (let i = 0; i < req.data.length; i++) {
    const out = req.out[i]!;
    const rawLength = rawLengths[i]!;
    if (rawLength > out.length) throw dmError('DM_ERR_INTERNAL', `output too small for ${rawLength} bytes`);
    const raw = openSealed(
      {
        identity: reply.identities.subarray(i * IDENTITY_BYTES, (i + 1) * IDENTITY_BYTES),
        codec: codecs[i] as CodecIdValue,
        rawLength,
        payload: req.data[i]!.subarray(0, req.lengths[i]),
        nonce: req.blobKey ? nonceAt(req, i) : undefined,
      },
      req.blobKey,
      req.identityKey,
    );
    out.set(raw);
    reply.codecs[i] = codecs[i]!;
    reply.payloadLengths[i] = rawLength;
  }
}

/** Resolves after one turn of this thread's event loop (its check phase). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export default async function blockWorker(req: BatchRequest): Promise<unknown> {
  const n = req.data.length;
  const given = req.op === 'seal' || req.op === 'open';
  const identities = given && req.identities ? req.identities : new Uint8Array(n * IDENTITY_BYTES);
  const reply: ReplyArrays = { identities, codecs: new Uint8Array(n), payloadLengths: new Uint32Array(n) };
  let error: WireError | undefined;
  try {
    if (req.op === 'open') openAll(req, reply);
    else sealAll(req, reply);
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
