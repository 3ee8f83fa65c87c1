/**
 * The native sealer (native/seal-batch.c through NativeBlockPool) against the worker path's own
 * code (block-worker.ts runBatch, run in this thread): same identities, codecs, payload bytes and
 * frame headers for every op, level, key and read map, and the same catalog errors.
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY_BYTES, NONCE_BYTES, TAG_BYTES, type CompressionLevel } from '../../src/core/blob.js';
import { IdentityFilter } from '../../src/core/identity-filter.js';
import type { SealBatchOptions, SealBatchStats } from '../../src/core/native.js';
import { ReadMapBuilder } from '../../src/core/read-map.js';
import { isDmError, type ErrorCode } from '../../src/errors.js';
import { FRAME_HEADER_SIZE } from '../../src/format/constants.js';
import type { BlockOp } from '../../src/workers/batch-protocol.js';
import { runBatch } from '../../src/workers/block-worker.js';
import { nonceFromCounter } from '../../src/compute/cipher/aes-gcm.js';
import { NativeBlockPool, nativeFits } from '../../src/workers/native-pool.js';
import type { BlockBatch } from '../../src/workers/pool.js';
import { random, sameBytes, textLike } from './data.js';

const native = nativeFits('optimal', 2);
// The install step builds the addon with sealBatch on x86-64; CI must not skip these silently.
if (process.env['CI'] === 'true' && process.arch === 'x64' && !native)
  throw new Error('CI=true but the addon has no sealBatch: `npm ci` should have built native/seal-batch.c');

const dir = mkdtempSync(join(tmpdir(), 'dm-native-pool-'));
const imagePath = join(dir, 'image.bin');
const image = new Uint8Array(4 << 20);
image.set(textLike(2 << 20, 3), 0);
image.set(random(1 << 20), 2 << 20); // the last MiB stays zero
writeFileSync(imagePath, image);
const fd = openSync(imagePath, 'r');
afterAll(() => closeSync(fd));

const pool = native ? new NativeBlockPool(2, native) : undefined;
afterAll(() => pool?.close());

/** A block's buffer: capacity for the sealed payload (raw + GCM tag), like the pipeline's ring. */
function buffer(content: Uint8Array): Uint8Array {
  const b = new Uint8Array(content.length + TAG_BYTES);
  b.set(content);
  return b;
}

interface Case {
  readonly op: BlockOp;
  readonly level: CompressionLevel;
  readonly keyed: boolean;
  readonly encrypted: boolean;
  readonly blocks: Uint8Array[];
  /** Per block: read it from the image at this offset (with a zero-filled middle) instead. */
  readonly readAt?: (number | undefined)[];
  readonly known?: IdentityFilter;
}

const identityKey = randomBytes(32);
const blobKey = randomBytes(32);

function readMap(offset: number, length: number): Float64Array {
  const b = new ReadMapBuilder();
  const third = Math.floor(length / 3);
  b.push(fd, offset, third, 0);
  b.zero(third, third); // a BitLooker-style zeroed range inside the block
  b.push(fd, offset + 2 * third, length - 2 * third, 2 * third);
  return b.take();
}

/** The same batch, twice: one for each implementation (they seal in place). */
function batchesOf(c: Case, identities?: Uint8Array): [BlockBatch, BlockBatch] {
  const make = (): BlockBatch => {
    const slots = c.blocks.map((b, i) => {
      const data = buffer(c.readAt?.[i] !== undefined ? new Uint8Array(b.length) : b);
      return { data, out: data, length: b.length };
    });
    const n = slots.length;
    const nonces = new Uint8Array(n * NONCE_BYTES);
    for (let i = 0; i < n; i++) nonceFromCounter(100 + i, nonces.subarray(i * NONCE_BYTES));
    return {
      op: c.op,
      level: c.level,
      slots,
      ...(c.keyed ? { identityKey } : {}),
      ...(c.encrypted ? { blobKey, nonces } : {}),
      ...(identities ? { identities } : {}),
      ...(c.readAt
        ? {
            reads: c.blocks.map((b, i) =>
              c.readAt![i] === undefined ? undefined : readMap(c.readAt![i]!, b.length),
            ),
          }
        : {}),
      ...(c.known ? { known: c.known } : {}),
    };
  };
  return [make(), make()];
}

/** runBatch (the worker's code) on a BlockBatch, shaped like the native result. */
function reference(b: BlockBatch) {
  const reply = runBatch({
    op: b.op,
    level: b.level ?? 'none',
    identityKey: b.identityKey,
    blobKey: b.op !== 'hash' ? b.blobKey : undefined,
    data: b.slots.map((s) => s.data),
    lengths: Uint32Array.from(b.slots, (s) => s.length),
    out: b.slots.map((s) => s.out),
    identities: b.op === 'seal' ? b.identities : undefined,
    nonces: b.op !== 'hash' && b.blobKey ? b.nonces : undefined,
    reads: b.reads ? b.reads.map((r) => r ?? null) : undefined,
    readPaths: { [fd]: imagePath },
    known: b.op === 'hashAndSeal' ? b.known?.buffer : undefined,
  });
  if (reply.error) throw new Error(`reference failed: ${reply.error.message}`);
  return reply;
}

const same = (a: Uint8Array, b: Uint8Array, what: string) => expect(sameBytes(a, b), what).toBe('equal');

async function expectSame(c: Case, identities?: Uint8Array): Promise<void> {
  const [mine, theirs] = batchesOf(c, identities);
  const got = await pool!.submit(mine);
  const want = reference(theirs);
  const n = c.blocks.length;
  expect(Array.from(got.zero)).toEqual(Array.from(want.zero));
  expect(Array.from(got.known)).toEqual(Array.from(want.known));
  expect(got.bytesRead).toBe(want.bytesRead);
  same(got.identities, want.identities, 'identities');
  if (c.op === 'hash') return;
  for (let i = 0; i < n; i++) {
    if (want.zero[i] || want.known[i]) continue;
    expect(got.codecs[i], `codec of block ${i}`).toBe(want.codecs[i]);
    expect(got.payloadLengths[i], `payload length of block ${i}`).toBe(want.payloadLengths[i]);
    same(
      mine.slots[i]!.out.subarray(0, got.payloadLengths[i]),
      theirs.slots[i]!.out.subarray(0, want.payloadLengths[i]),
      `payload ${i}`,
    );
    same(
      got.frameHeader(i),
      want.frameHeaders.subarray(i * FRAME_HEADER_SIZE, (i + 1) * FRAME_HEADER_SIZE),
      `frame header ${i}`,
    );
  }
}

async function expectRejects(code: ErrorCode, p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDmError(err, code), String(err)).toBe(true);
  return String(err);
}

const blockArb = fc.oneof(
  fc.integer({ min: 1, max: 300_000 }).map((n) => textLike(n, n)),
  fc.integer({ min: 1, max: 300_000 }).map((n) => random(n)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => new Uint8Array(n)),
  // Compressible with an incompressible quarter: the probe must not decide "raw" on it alone.
  fc.constant(1).map(() => {
    const b = textLike(256 * 1024, 9);
    b.set(random(64 * 1024), 0);
    return b;
  }),
);

describe.runIf(native)('NativeBlockPool (native/seal-batch.c) against the worker code', () => {
  it('hashAndSeal: the same frames for every level, key and encryption', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(blockArb, { minLength: 1, maxLength: 5 }),
        fc.constantFrom<CompressionLevel>('none', 'optimal'),
        fc.boolean(),
        fc.boolean(),
        async (blocks, level, keyed, encrypted) => {
          await expectSame({ op: 'hashAndSeal', level, keyed, encrypted, blocks });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('hash, then seal with the identities given, as the pipeline dedups in between', async () => {
    const blocks = [textLike(1 << 20, 5), random(200_000), textLike(77_777, 6)];
    await expectSame({ op: 'hash', level: 'optimal', keyed: true, encrypted: false, blocks });
    const [b] = batchesOf({ op: 'hash', level: 'optimal', keyed: true, encrypted: true, blocks });
    const ids = (await pool!.submit(b)).identities.slice();
    await expectSame({ op: 'seal', level: 'optimal', keyed: true, encrypted: true, blocks }, ids);
  });

  it('runs read maps (preads and zero fills) and flags blocks that read as zeros', async () => {
    const len = 1 << 20;
    const blocks = [0, 1, 2, 3].map(() => new Uint8Array(len));
    const readAt = [0, 1 << 20, 2 << 20, 3 << 20]; // text, text, random, zeros
    for (const level of ['none', 'optimal'] as const)
      await expectSame({ op: 'hashAndSeal', level, keyed: false, encrypted: true, blocks, readAt });
    const [b] = batchesOf({
      op: 'hashAndSeal',
      level: 'optimal',
      keyed: false,
      encrypted: false,
      blocks,
      readAt,
    });
    const r = await pool!.submit(b);
    expect(Array.from(r.zero)).toEqual([0, 0, 0, 1]);
    expect(r.bytesRead).toBe(4 * (len - Math.floor(len / 3))); // each map zero-fills its middle third
  });

  it('skips sealing blocks the identity set holds, and seals the others', async () => {
    const blocks = [textLike(300_000, 1), textLike(300_000, 2), textLike(300_000, 3)];
    const [probe] = batchesOf({ op: 'hash', level: 'optimal', keyed: true, encrypted: false, blocks });
    const ids = (await pool!.submit(probe)).identities;
    const known = IdentityFilter.create(16);
    known.add(ids.subarray(IDENTITY_BYTES, 2 * IDENTITY_BYTES));
    const c: Case = { op: 'hashAndSeal', level: 'optimal', keyed: true, encrypted: false, blocks, known };
    await expectSame(c);
    const [b] = batchesOf(c);
    expect(Array.from((await pool!.submit(b)).known)).toEqual([0, 1, 0]);
  });

  it('fails a batch with the catalog error a worker raises, naming the file and offset', async () => {
    /** A batch of one empty 4 KiB block, unkeyed and unencrypted, for a read map to fill. */
    const oneBlock = (op: BlockOp, level: CompressionLevel) =>
      batchesOf({ op, level, keyed: false, encrypted: false, blocks: [new Uint8Array(4096)] })[0];
    const short = new ReadMapBuilder();
    short.push(fd, image.length - 100, 4096, 0);
    const past = oneBlock('hashAndSeal', 'optimal');
    const msg = await expectRejects(
      'DM_ERR_SOURCE_TRUNCATED',
      pool!.submit({ ...past, reads: [short.take()], readPaths: { [fd]: imagePath } }),
    );
    expect(msg).toContain(String(image.length));

    const closed = openSync(imagePath, 'r');
    closeSync(closed);
    const bad = new ReadMapBuilder();
    bad.push(closed, 0, 4096, 0);
    const ebadf = oneBlock('hash', 'none');
    await expectRejects('DM_ERR_IO_READ', pool!.submit({ ...ebadf, reads: [bad.take()] }));

    const outside = Float64Array.of(fd, 0, 8192, 0);
    const big = oneBlock('hash', 'none');
    await expectRejects('DM_ERR_INTERNAL', pool!.submit({ ...big, reads: [outside] }));
  });

  it('refuses a malformed call at once, a closed pool too, and works after it', async () => {
    const { sealBatch, computePool, closeComputePool } = native!;
    const own = computePool(1);
    /** sealBatch on `own` with one 16-byte block, `level`, `data` and the callback varied. */
    const call = (
      level: number,
      data: Uint8Array[],
      done: (status: number, stats: SealBatchStats) => void = () => {},
    ) => sealBatch(own, options(level, data), done);
    /** A one-block batch of 16 bytes at `level`, LZ4-sized for `data`. */
    function options(level: number, data: Uint8Array[]): SealBatchOptions {
      return {
        op: 2,
        level,
        data,
        lengths: Uint32Array.of(16),
        identities: new Uint8Array(32),
        codecs: new Uint8Array(1),
        payloadLengths: new Uint32Array(1),
        frameHeaders: new Uint8Array(FRAME_HEADER_SIZE),
        zero: new Uint8Array(1),
        knownOut: new Uint8Array(1),
      };
    }
    expect(() => call(2, [])).toThrow(/sealBatch: the batch does not match/); // no blocks
    expect(() => call(3, [new Uint8Array(32)])).toThrow(/sealBatch: the batch does not match/); // zstd is not native
    expect(() => call(2, [new Uint8Array(20)])).toThrow(/sealBatch: the batch does not match/); // no room for a tag
    const good = sealBatch as unknown as (...args: unknown[]) => void;
    const one = { ...options(2, [new Uint8Array(32)]) };
    expect(() => good(own, { ...one, codecs: undefined }, () => {})).toThrow(/does not match/); // a field missing
    expect(() => good(own, one, undefined)).toThrow(/does not match/); // no callback
    expect(() => good(own, one)).toThrow(/does not match/); // a positional list
    const [status, stats] = await new Promise<[number, SealBatchStats]>((resolve) =>
      call(2, [new Uint8Array(32)], (...r) => resolve(r)),
    );
    expect(status).toBe(0);
    // The statistics come back by name, each a number (no reads here: none read, nothing failed).
    expect(Object.keys(stats).sort()).toEqual(
      ['bytesRead', 'endedMs', 'errno', 'failedBlock', 'fd', 'offset', 'readMs', 'startedMs'].sort(),
    );
    expect(stats).toMatchObject({ bytesRead: 0, readMs: 0, failedBlock: 0, errno: 0 });
    expect(stats.endedMs).toBeGreaterThanOrEqual(stats.startedMs);
    closeComputePool(own);
    expect(() => call(2, [new Uint8Array(32)])).toThrow(/compute pool is closed/);
    expect(() => closeComputePool({} as never)).toThrow(/computePool handle/);
    expect(() => computePool(0)).toThrow(/thread count/);
  });
});
