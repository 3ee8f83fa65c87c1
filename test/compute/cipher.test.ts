import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CodecId, NONCE_BYTES, TAG_BYTES, blobAad } from '../../src/core/blob.js';
import { isDmError } from '../../src/errors.js';
import { nonceFromCounter, openBlob, sealBlob, sealInto } from '../../src/compute/cipher/aes-gcm.js';
import { textLike, sameBytes } from '../workers/data.js';

function expectAuthError(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isDmError(thrown, 'DM_ERR_CRYPTO_AUTH'), String(thrown)).toBe(true);
}

describe('AES-256-GCM', () => {
  const key = randomBytes(32);
  const nonce = nonceFromCounter(7);
  const aad = blobAad(new Uint8Array(32).fill(5), CodecId.lz4, 1000);
  const plain = textLike(1000);

  it('round-trips and appends a 16-byte tag', () => {
    const sealed = sealBlob(key, nonce, aad, plain);
    expect(sealed.length).toBe(plain.length + TAG_BYTES);
    expect(sameBytes(openBlob(key, nonce, aad, sealed), plain)).toBe('equal');
    expect(openBlob(key, nonce, aad, sealBlob(key, nonce, aad, new Uint8Array(0))).length).toBe(0);
  });

  it('sealInto writes the same bytes as sealBlob', () => {
    const out = new Uint8Array(2000).fill(0xee);
    const n = sealInto(key, nonce, aad, plain, out, 10);
    expect(n).toBe(plain.length + TAG_BYTES);
    expect(sameBytes(out.subarray(10, 10 + n), new Uint8Array(sealBlob(key, nonce, aad, plain)))).toBe(
      'equal',
    );
    expect(out[9]).toBe(0xee);
    expect(out[10 + n]).toBe(0xee);
  });

  it('detects a tampered ciphertext, tag, AAD, nonce or key, and truncation', () => {
    const sealed = sealBlob(key, nonce, aad, plain);
    const flipCt = Uint8Array.from(sealed);
    flipCt[3]! ^= 1;
    expectAuthError(() => openBlob(key, nonce, aad, flipCt));
    const flipTag = Uint8Array.from(sealed);
    flipTag[sealed.length - 1]! ^= 0x80;
    expectAuthError(() => openBlob(key, nonce, aad, flipTag));
    const otherAad = blobAad(new Uint8Array(32).fill(5), CodecId.zstd, 1000);
    expectAuthError(() => openBlob(key, nonce, otherAad, sealed));
    expectAuthError(() => openBlob(key, nonceFromCounter(8), aad, sealed));
    expectAuthError(() => openBlob(randomBytes(32), nonce, aad, sealed));
    expectAuthError(() => openBlob(key, nonce, aad, sealed.subarray(0, 10)));
    expectAuthError(() => openBlob(key, nonce, aad, sealed.subarray(0, sealed.length - 1)));
  });

  it('nonces are 12 bytes, distinct per counter, big-endian', () => {
    expect(sameBytes(nonceFromCounter(0), new Uint8Array(NONCE_BYTES))).toBe('equal');
    expect(Array.from(nonceFromCounter(0x0102030405))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
    expect(Array.from(nonceFromCounter(Number.MAX_SAFE_INTEGER).subarray(4))).toEqual([
      0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(Buffer.from(nonceFromCounter(i * 4099)).toString('hex'));
    expect(seen.size).toBe(1000);
    expect(() => nonceFromCounter(-1)).toThrow(/nonce counter/);
    expect(() => nonceFromCounter(1.5)).toThrow(/nonce counter/);
  });
});
