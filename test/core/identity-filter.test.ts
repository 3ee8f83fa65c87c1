/** IdentityFilter: no false negatives for what was added, no hits for what was not, bounded size. */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityFilter } from '../../src/core/identity-filter.js';

const id = () => new Uint8Array(randomBytes(32));

describe('IdentityFilter', () => {
  it('finds every identity added and none that was not (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), {
          maxLength: 300,
          selector: (a) => Buffer.from(a.subarray(0, 16)).toString('hex'),
        }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 50 }),
        (added, others) => {
          const f = IdentityFilter.create(added.length);
          for (const a of added) expect(f.add(a)).toBe(true);
          expect(f.size).toBe(added.length);
          for (const a of added) expect(f.mayContain(a)).toBe(true);
          const prefixes = new Set(added.map((a) => Buffer.from(a.subarray(0, 16)).toString('hex')));
          for (const o of others)
            expect(f.mayContain(o)).toBe(prefixes.has(Buffer.from(o.subarray(0, 16)).toString('hex')));
        },
      ),
    );
  });

  it('keys on the 128-bit prefix, including one whose first word is zero', () => {
    const f = IdentityFilter.create(4);
    const a = id();
    a.fill(0, 0, 4);
    const b = a.slice();
    b[31]! ^= 1; // same prefix, different identity: a hint the writer's index settles
    const c = a.slice();
    c[15]! ^= 1;
    f.add(a);
    expect(f.mayContain(a)).toBe(true);
    expect(f.mayContain(b)).toBe(true);
    expect(f.mayContain(c)).toBe(false);
    expect(f.add(a)).toBe(true);
    expect(f.size).toBe(1);
  });

  it('stops adding at half its capacity and keeps what it holds; its memory is bounded', () => {
    const f = IdentityFilter.create(1);
    expect(f.capacity).toBe(1024);
    const ids = Array.from({ length: 600 }, id);
    const added = ids.map((x) => f.add(x));
    expect(added.filter(Boolean).length).toBe(512);
    expect(added.slice(0, 512).every(Boolean)).toBe(true);
    for (const x of ids.slice(0, 512)) expect(f.mayContain(x)).toBe(true);
    expect(f.mayContain(ids[599]!)).toBe(false);
    expect(IdentityFilter.create(1e9).buffer.byteLength).toBe(16 * 1024 * 1024);
  });

  it('another view over the same memory (as a compute thread has) sees the identities', () => {
    const f = IdentityFilter.create(10);
    const a = id();
    f.add(a);
    const other = IdentityFilter.over(f.buffer);
    expect(other.mayContain(a)).toBe(true);
    expect(other.mayContain(id())).toBe(false);
  });

  it('refuses an identity of the wrong length', () => {
    expect(() => IdentityFilter.create(1).add(new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'DM_ERR_INTERNAL' }),
    );
  });
});
