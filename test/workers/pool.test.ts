import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY_BYTES, NONCE_BYTES } from '../../src/core/blob.js';
import { isDmError, type ErrorCode } from '../../src/errors.js';
import { encodeFrameHeader } from '../../src/format/frame.js';
import { nonceFromCounter } from '../../src/compute/cipher/aes-gcm.js';
import { blockIdentity } from '../../src/compute/identity.js';
import type { BlockSlot } from '../../src/workers/block-slot.js';
import { BlockPool } from '../../src/workers/pool.js';
import { openSealed } from '../../src/compute/seal.js';
import { random, sameBytes, slotsHolding, textLike } from './data.js';

const BLOCK = 256 * 1024;
const identityKey = randomBytes(32);
const blobKey = randomBytes(32);
const pool = new BlockPool({ threads: 2, maxInFlight: 2 });
afterAll(() => pool.destroy());

function nonces(first: number, n: number): Uint8Array {
  const out = new Uint8Array(n * NONCE_BYTES);
  for (let i = 0; i < n; i++) nonceFromCounter(first + i, out.subarray(i * NONCE_BYTES));
  return out;
}

async function expectRejects(code: ErrorCode, p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDmError(err, code), String(err)).toBe(true);
}

describe('BlockPool', () => {
  const blocks = [textLike(BLOCK, 1), random(BLOCK), new Uint8Array(BLOCK), textLike(1000, 2)];

  it('hashAndSeal: moves buffers out and back, results open to the original blocks', async () => {
    const slots = slotsHolding(blocks, BLOCK);
    const pending = pool.submit({
      op: 'hashAndSeal',
      level: 'optimal',
      identityKey,
      blobKey,
      slots,
      nonces: nonces(0, 4),
    });
    // Moved, not cloned: the main thread's views are detached while the worker has them.
    expect(slots.every((s) => s.data.byteLength === 0 && s.out.byteLength === 0)).toBe(true);
    const result = await pending;
    slots.forEach((slot, i) => {
      expect(slot.data.byteLength).toBe(BLOCK + 16);
      expect(slot.out.buffer).toBe(slot.data.buffer); // one buffer per slot, still shared
      expect(sameBytes(slot.data.subarray(0, slot.length), blocks[i]!)).toBe('equal');
      expect(sameBytes(result.identity(i), blockIdentity(blocks[i]!, identityKey))).toBe('equal');
      const payload = slot.out.subarray(0, result.payloadLengths[i]);
      const blob = {
        identity: result.identity(i),
        codec: result.codecs[i]!,
        rawLength: slot.length,
        payload,
        nonce: nonceFromCounter(i),
      };
      expect(sameBytes(openSealed(blob, blobKey, identityKey), blocks[i]!)).toBe('equal');
      // The worker's frame header is the one the writer would have encoded, payload CRC included.
      const expected = encodeFrameHeader({ ...blob, storedLength: payload.length }, payload);
      expect(sameBytes(result.frameHeader(i), expected)).toBe('equal');
    });
  });

  it('a slot whose out is its own data (payload written over the input) seals correctly', async () => {
    const inputs = [textLike(BLOCK, 4), random(BLOCK), new Uint8Array(BLOCK), textLike(300, 5)];
    for (const level of ['none', 'dedupe-friendly', 'optimal', 'high'] as const) {
      for (const encrypted of [false, true]) {
        const slots: BlockSlot[] = inputs.map((b) => {
          const buf = new Uint8Array(new ArrayBuffer(BLOCK + 16));
          buf.set(b);
          return { data: buf, out: buf, length: b.length };
        });
        const r = await pool.submit({
          op: 'hashAndSeal',
          level,
          slots,
          ...(encrypted ? { blobKey, nonces: nonces(0, inputs.length) } : {}),
        });
        slots.forEach((slot, i) => {
          expect(slot.out.buffer).toBe(slot.data.buffer);
          const blob = {
            identity: r.identity(i),
            codec: r.codecs[i]!,
            rawLength: inputs[i]!.length,
            payload: slot.out.subarray(0, r.payloadLengths[i]),
            nonce: encrypted ? nonceFromCounter(i) : undefined,
          };
          const opened = openSealed(blob, encrypted ? blobKey : undefined);
          expect(sameBytes(opened, inputs[i]!), `${level} encrypted=${encrypted} block ${i}`).toBe('equal');
        });
      }
    }
  });

  it('hash then seal (dedup in between) round-trips through the workers', async () => {
    const slots = slotsHolding(blocks, BLOCK);
    const hashed = await pool.submit({ op: 'hash', identityKey, slots });
    expect(hashed.identities.length).toBe(4 * IDENTITY_BYTES);
    expect(sameBytes(hashed.identity(1), blockIdentity(blocks[1]!, identityKey))).toBe('equal');
    const sealed = await pool.submit({
      op: 'seal',
      level: 'high',
      blobKey,
      slots,
      identities: hashed.identities,
      nonces: nonces(100, 4),
    });
    slots.forEach((s, i) => {
      const blob = {
        identity: sealed.identity(i),
        codec: sealed.codecs[i]!,
        rawLength: blocks[i]!.length,
        payload: s.out.slice(0, sealed.payloadLengths[i]),
        nonce: nonces(100, 4).subarray(i * 12, (i + 1) * 12),
      };
      expect(sameBytes(openSealed(blob, blobKey, identityKey), blocks[i]!)).toBe('equal');
    });
  });

  it('a DmError thrown in a worker arrives with its code, and the buffers still come back', async () => {
    const slots = slotsHolding([textLike(5000, 3)], BLOCK);
    const seal = {
      op: 'hashAndSeal' as const,
      level: 'optimal' as const,
      identityKey,
      blobKey: randomBytes(16), // AES-256 needs 32: the worker's cipher refuses it
      slots,
      nonces: nonces(7, 1),
    };
    const err = await pool.submit(seal).catch((e: unknown) => e);
    expect(isDmError(err, 'DM_ERR_INTERNAL'), String(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/blob key must be 32 bytes/);
    expect(slots[0]!.data.byteLength).toBe(BLOCK + 16);
    await expect(pool.submit({ ...seal, blobKey })).resolves.toBeDefined();
  });

  it('backpressure: canSubmit turns false at maxInFlight and drain fires when room frees up', async () => {
    const batches = [0, 1, 2].map((i) => slotsHolding([textLike(BLOCK, 10 + i)], BLOCK));
    await pool.whenIdle();
    let drains = 0;
    pool.on('drain', () => drains++);
    expect(pool.canSubmit()).toBe(true);
    const p1 = pool.submit({ op: 'hashAndSeal', level: 'extreme', slots: batches[0]! });
    const p2 = pool.submit({ op: 'hashAndSeal', level: 'extreme', slots: batches[1]! });
    expect(pool.inFlight).toBe(2);
    expect(pool.canSubmit()).toBe(false);
    const room = pool.whenCanSubmit();
    const p3 = pool.submit({ op: 'hashAndSeal', level: 'extreme', slots: batches[2]! }); // still accepted, queues
    await room;
    await Promise.all([p1, p2, p3]);
    await pool.whenIdle();
    expect(drains).toBeGreaterThanOrEqual(1);
    expect(pool.inFlight).toBe(0);
    expect(pool.canSubmit()).toBe(true);
    pool.removeAllListeners('drain');
  });

  it('a pool destroyed mid-batch rejects with DM_ERR_WORKER_FAILED', async () => {
    const doomed = new BlockPool({ threads: 1 });
    const pending = doomed.submit({
      op: 'hashAndSeal',
      level: 'extreme',
      slots: slotsHolding([textLike(BLOCK, 99)], BLOCK),
    });
    const rejected = expectRejects('DM_ERR_WORKER_FAILED', pending); // handler attached before destroy
    await doomed.destroy();
    await rejected;
    await expectRejects(
      'DM_ERR_INTERNAL',
      doomed.submit({ op: 'hash', slots: slotsHolding([textLike(16)]) }),
    );
  });

  it('refuses bad options and malformed batches with catalog codes', async () => {
    expect(() => new BlockPool({ threads: 0 })).toThrow(
      expect.objectContaining({ code: 'DM_ERR_ARG_INVALID' }),
    );
    const slot = slotsHolding([textLike(10)], 1024);
    await expectRejects('DM_ERR_INTERNAL', pool.submit({ op: 'seal', level: 'none', slots: slot }));
    await expectRejects(
      'DM_ERR_INTERNAL',
      pool.submit({ op: 'hashAndSeal', level: 'none', blobKey, slots: slot }),
    );
    expect(slot[0]!.data.byteLength).toBe(1024 + 16); // refused batches hand their buffers back too
  });
});
