import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IDENTITY_BYTES } from '../../src/core/blob.js';
import { blockIdentity, identitiesEqual, identityInto } from '../../src/compute/identity.js';
import { isAllZero, isAllZeroWords } from '../../src/compute/zero.js';
import { textLike, sameBytes } from '../workers/data.js';

describe('blockIdentity', () => {
  it('matches the BLAKE3 test vector for empty input', () => {
    expect(Buffer.from(blockIdentity(new Uint8Array(0))).toString('hex')).toBe(
      'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262',
    );
  });

  it('is 32 bytes, stable, and differs with and without a key and between keys', () => {
    const data = textLike(100_000);
    const k1 = new Uint8Array(32).fill(1);
    const k2 = new Uint8Array(32).fill(2);
    const plain = blockIdentity(data);
    const keyed1 = blockIdentity(data, k1);
    expect(plain.length).toBe(IDENTITY_BYTES);
    expect(keyed1.length).toBe(IDENTITY_BYTES);
    expect(sameBytes(blockIdentity(data), plain)).toBe('equal');
    expect(sameBytes(blockIdentity(data, k1), keyed1)).toBe('equal'); // cached keyed hasher resets correctly
    expect(blockIdentity(data, k2)).not.toEqual(keyed1);
    expect(sameBytes(blockIdentity(data, k1), keyed1)).toBe('equal'); // cache switched keys back
    expect(keyed1).not.toEqual(plain);
    expect(blockIdentity(data.subarray(1), k1)).not.toEqual(keyed1);
  });

  it('does not depend on the caller mutating its key buffer afterwards', () => {
    const data = textLike(1000);
    const key = new Uint8Array(32).fill(9);
    const before = blockIdentity(data, key);
    key.fill(10);
    expect(sameBytes(blockIdentity(data, new Uint8Array(32).fill(9)), before)).toBe('equal');
  });

  it('identityInto writes at an offset; identitiesEqual compares', () => {
    const data = textLike(5000);
    const out = new Uint8Array(40);
    identityInto(data, undefined, out, 8);
    expect(sameBytes(out.subarray(8), new Uint8Array(blockIdentity(data)))).toBe('equal');
    expect(identitiesEqual(out.subarray(8), blockIdentity(data))).toBe(true);
    expect(identitiesEqual(out.subarray(8), blockIdentity(data.subarray(1)))).toBe(false);
    expect(() => identityInto(data, undefined, out, 9)).toThrow(/does not fit/);
    expect(() => blockIdentity(data, new Uint8Array(16))).toThrow(/32 bytes/);
  });

  it('is not SHA-256 (sanity that the right hash is wired)', () => {
    const data = textLike(64);
    expect(Buffer.from(blockIdentity(data))).not.toEqual(createHash('sha256').update(data).digest());
  });
});

describe('isAllZero', () => {
  it('agrees with the word loop on zero and near-zero buffers of many sizes and offsets', () => {
    const big = new Uint8Array(70_000);
    for (const len of [0, 1, 2, 7, 63, 64, 65, 4096, 65_537]) {
      for (const off of [0, 1, 3]) {
        const v = big.subarray(off, off + len);
        expect(isAllZero(v)).toBe(true);
        expect(isAllZeroWords(v)).toBe(true);
        for (const at of len ? [0, len >> 1, len - 1] : []) {
          v[at] = 1;
          expect(isAllZero(v), `len ${len} off ${off} at ${at}`).toBe(false);
          expect(isAllZeroWords(v)).toBe(false);
          v[at] = 0;
        }
      }
    }
  });

  it('sees a single high bit that a float view would miss (-0)', () => {
    const b = new Uint8Array(1024);
    b[7] = 0x80;
    expect(isAllZero(b)).toBe(false);
  });
});
