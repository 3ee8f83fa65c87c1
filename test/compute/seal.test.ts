import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CodecId, COMPRESSION_LEVELS, TAG_BYTES } from '../../src/core/blob.js';
import { isDmError, type ErrorCode } from '../../src/errors.js';
import { nonceFromCounter } from '../../src/compute/cipher/aes-gcm.js';
import { blockIdentity } from '../../src/compute/identity.js';
import { maxPayloadBytes, openSealed, sealBlock, sealBlockInto } from '../../src/compute/seal.js';
import { SAMPLES, sameBytes } from '../workers/data.js';

function expectCode(code: ErrorCode, fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isDmError(thrown, code), String(thrown)).toBe(true);
}

const identityKey = randomBytes(32);
const blobKey = randomBytes(32);

describe('sealBlock / openSealed', () => {
  for (const level of COMPRESSION_LEVELS) {
    for (const [kind, input] of Object.entries(SAMPLES)) {
      it(`round-trips ${kind} at ${level}, plain and encrypted`, () => {
        const plain = sealBlock(input, { level });
        expect(plain.nonce).toBeUndefined();
        expect(sameBytes(plain.identity, blockIdentity(input))).toBe('equal');
        expect(plain.rawLength).toBe(input.length);
        expect(sameBytes(openSealed(plain), input)).toBe('equal');

        const nonce = nonceFromCounter(42);
        const enc = sealBlock(input, { level, identityKey, blobKey, nonce });
        expect(sameBytes(enc.identity, blockIdentity(input, identityKey))).toBe('equal');
        expect(enc.payload.length).toBeLessThanOrEqual(maxPayloadBytes(input.length));
        expect(sameBytes(openSealed(enc, blobKey, identityKey), input)).toBe('equal');

        const out = new Uint8Array(maxPayloadBytes(input.length) + 8);
        const head = sealBlockInto(input, { level, identityKey, blobKey, nonce }, out, 8);
        expect(head.codec).toBe(enc.codec);
        expect(sameBytes(out.subarray(8, 8 + head.payloadLength), new Uint8Array(enc.payload))).toBe('equal');
      });
    }
  }

  it('payload of a plain raw block is a copy, not the caller buffer', () => {
    const input = SAMPLES.random!.slice();
    const blob = sealBlock(input, { level: 'optimal' });
    expect(blob.codec).toBe(CodecId.none);
    input[0]! ^= 1;
    expect(blob.payload[0]).not.toBe(input[0]);
  });

  it('uses a precomputed identity as given', () => {
    const input = SAMPLES.text!;
    const identity = blockIdentity(input, identityKey);
    const blob = sealBlock(input, { level: 'high', identity, blobKey, nonce: nonceFromCounter(1) });
    expect(blob.identity).toBe(identity);
    expect(sameBytes(openSealed(blob, blobKey, identityKey), input)).toBe('equal');
  });

  it('detects tampering: ciphertext and tag → CRYPTO_AUTH, relabelled codec/length/identity → CRYPTO_AUTH', () => {
    const input = SAMPLES.text!;
    const blob = sealBlock(input, { level: 'optimal', identityKey, blobKey, nonce: nonceFromCounter(3) });
    const flip = (at: number) => {
      const p = Uint8Array.from(blob.payload);
      p[at]! ^= 4;
      return { ...blob, payload: p };
    };
    expectCode('DM_ERR_CRYPTO_AUTH', () => openSealed(flip(0), blobKey, identityKey));
    expectCode('DM_ERR_CRYPTO_AUTH', () =>
      openSealed(flip(blob.payload.length - TAG_BYTES), blobKey, identityKey),
    );
    expectCode('DM_ERR_CRYPTO_AUTH', () =>
      openSealed({ ...blob, codec: CodecId.zstd }, blobKey, identityKey),
    );
    expectCode('DM_ERR_CRYPTO_AUTH', () =>
      openSealed({ ...blob, rawLength: input.length + 1 }, blobKey, identityKey),
    );
    const otherId = Uint8Array.from(blob.identity);
    otherId[0]! ^= 1;
    expectCode('DM_ERR_CRYPTO_AUTH', () => openSealed({ ...blob, identity: otherId }, blobKey, identityKey));
    expectCode('DM_ERR_CRYPTO_AUTH', () =>
      openSealed({ ...blob, nonce: nonceFromCounter(4) }, blobKey, identityKey),
    );
    expectCode('DM_ERR_CRYPTO_AUTH', () => openSealed({ ...blob, nonce: undefined }, blobKey, identityKey));
    expectCode('DM_ERR_CRYPTO_PASSWORD_REQUIRED', () => openSealed(blob));
  });

  it('detects a plain blob that does not match its identity (REPO_CHECKSUM) or does not decode (CODEC)', () => {
    const input = SAMPLES.text!;
    const blob = sealBlock(input, { level: 'none' });
    const p = Uint8Array.from(blob.payload);
    p[100]! ^= 1;
    expectCode('DM_ERR_REPO_CHECKSUM', () => openSealed({ ...blob, payload: p }));
    // Keyed identity opened without the key does not match either.
    const keyed = sealBlock(input, { level: 'none', identityKey });
    expectCode('DM_ERR_REPO_CHECKSUM', () => openSealed(keyed));
    const lz = sealBlock(input, { level: 'optimal' });
    expectCode('DM_ERR_CODEC', () => openSealed({ ...lz, payload: lz.payload.subarray(0, 10) }));
  });

  it('refuses to encrypt without a nonce', () => {
    expectCode('DM_ERR_INTERNAL', () => sealBlock(SAMPLES.small!, { level: 'none', blobKey }));
  });
});
