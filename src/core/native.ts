/**
 * The native (N-API) packages, each loaded with require() on first use.
 *
 * require() rather than `import`: these packages are CommonJS, and an ESM import of CommonJS runs
 * Node's export lexer over the file; in a backup its parse and TurboFan compile came to ~0.15 s of
 * CPU across the three threads (`node --trace-opt`, 2026-11-22). On first use: a thread loads only
 * what it runs (restore threads of an LZ4 repository never load zstd; zstd is not loaded by a
 * backup at the default level).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as BlakeHashModule from '@napi-rs/blake-hash';
import type * as Crc32Module from '@node-rs/crc32';
import type * as ZstdBindingModule from 'zstd-napi/binding.js';

type Crc32 = typeof Crc32Module;
type BlakeHash = typeof BlakeHashModule;
type ZstdBinding = typeof ZstdBindingModule;
/** CRC-32C of `data`, continuing `seed` (an earlier CRC-32C) when given. */
export type Crc32c = (data: Uint8Array, seed?: number) => number;

const load = createRequire(import.meta.url);

/**
 * A napi-rs package through its platform package when there is one for this glibc Linux machine,
 * else through the package's own loader. Why: those loaders detect musl with
 * process.report.getReport() or by reading /usr/bin/ldd, 6–8 ms per package in every thread that
 * loads them (the main thread and each compute thread); the platform package loads in ~1.7 ms. On
 * musl the gnu build fails to load (or is not installed) and the loader decides as before.
 */
function loadNapi<T>(name: string): T {
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    try {
      return load(`${name}-linux-${process.arch}-gnu`) as T;
    } catch {
      // Not installed or not loadable here (musl): the package's loader picks the right build.
    }
  }
  return load(name) as T;
}
let crc32: Crc32 | undefined;
let crc32cFn: Crc32c | undefined;
let blakeHash: BlakeHash | undefined;
let zstd: ZstdBinding | undefined;

/** @node-rs/crc32: CRC-32 and CRC-32C (SIMD). */
export function crcNative(): Crc32 {
  return (crc32 ??= loadNapi<Crc32>('@node-rs/crc32'));
}

/** AES-256-GCM of `plaintext` into out[outOffset..] as ciphertext || tag; returns bytes written. */
export type GcmSealInto = (
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  outOffset: number,
) => number;

/** Opens ciphertext || tag into out[0..]; returns the plaintext length, or -1 if not authentic. */
export type GcmOpenInto = (
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  out: Uint8Array,
) => number;

/** native/compute-pool.c: a set of compute threads (an opaque handle). */
export type ComputePoolHandle = { readonly __computePool: unique symbol };

/**
 * native/seal-batch.c's batch: n blocks in, their identities, payloads (in place) and frame headers
 * out. The field names are the ones the C reads; the layout is src/workers/native-pool.ts's.
 */
export interface SealBatchOptions {
  /** 0 hash, 1 seal (identities given), 2 hashAndSeal. */
  readonly op: number;
  /** The codec id to compress with: 0 none, 2 LZ4. */
  readonly level: number;
  readonly identityKey?: Uint8Array | undefined;
  readonly blobKey?: Uint8Array | undefined;
  /** Each block's buffer (capacity for its payload and tag), sealed in place. */
  readonly data: Uint8Array[];
  readonly lengths: Uint32Array;
  /** n × 32 bytes: given for op seal, written otherwise. */
  readonly identities: Uint8Array;
  /** n × 12 bytes when a blobKey is given. */
  readonly nonces?: Uint8Array | undefined;
  /** Each block's read map (src/core/read-map.ts), or null for a block already in its buffer. */
  readonly reads?: (Float64Array | null)[] | undefined;
  /** An IdentityFilter's table (src/core/identity-filter.ts): blocks found there are not sealed. */
  readonly known?: Int32Array | undefined;
  readonly codecs: Uint8Array;
  readonly payloadLengths: Uint32Array;
  /** n × FRAME_HEADER_SIZE bytes. */
  readonly frameHeaders: Uint8Array;
  /** 1 where a block read all zero (not hashed or sealed). */
  readonly zero: Uint8Array;
  /** 1 where a block's identity was in `known` (not sealed). */
  readonly knownOut: Uint8Array;
}

/** What a batch reports when it finished (native/seal-batch.c struct batch_stats). */
export interface SealBatchStats {
  /** Bytes the read maps read, and the milliseconds spent in their preads. */
  readonly bytesRead: number;
  readonly readMs: number;
  /** A failed batch: the block it stopped at; a failed read: its errno (0: the file ended), fd and offset. */
  readonly failedBlock: number;
  readonly errno: number;
  readonly fd: number;
  readonly offset: number;
  /** The batch on its compute thread, in process.hrtime's clock (ms). */
  readonly startedMs: number;
  readonly endedMs: number;
}

/**
 * native/seal-batch.c: runs a batch on a compute pool; `done` gets the status (0 ok, 1 read errno,
 * 2 file ended early, 3 OpenSSL failed, 4 read map outside its buffer) and the stats.
 */
export type SealBatch = (
  pool: ComputePoolHandle,
  batch: SealBatchOptions,
  done: (status: number, stats: SealBatchStats) => void,
) => void;

/** native/format.h: the frozen format numbers the addon's C code was compiled with. */
export interface NativeFormat {
  readonly identityBytes: number;
  readonly nonceBytes: number;
  readonly tagBytes: number;
  readonly frameHeaderBytes: number;
  readonly frameMagic: number;
  readonly flagEncrypted: number;
  readonly codecNone: number;
  readonly codecLz4: number;
  readonly lz4PrefixBytes: number;
  readonly probeSliceBytes: number;
  readonly probeMinBytes: number;
  readonly readSegmentFields: number;
  readonly zeroFillFd: number;
}

/** native/format-export.c: the addon's format and encoders, for src/workers/native-contract.ts. */
export interface NativeFormatCheck {
  readonly nativeFormat?: NativeFormat;
  /** seal-batch.c's frame header encoder (FRAME_HEADER_SIZE bytes). */
  readonly frameHeader?: (
    identity: Uint8Array,
    codec: number,
    nonce: Uint8Array | null,
    rawLength: number,
    payload: Uint8Array,
  ) => Uint8Array;
  /** seal-batch.c's GCM additional data (core/blob.ts blobAad). */
  readonly blobAad?: (identity: Uint8Array, codec: number, rawLength: number) => Uint8Array;
}

interface OwnAddon extends NativeFormatCheck {
  /** Absent on a CPU without SSE4.2. */
  readonly crc32c?: Crc32c;
  readonly gcmSealInto?: GcmSealInto;
  readonly gcmOpenInto?: GcmOpenInto;
  /** These three and NativeFormatCheck's: x86-64 with SSE4.2 only. */
  readonly sealBatch?: SealBatch;
  readonly computePool?: (threads: number) => ComputePoolHandle;
  /** After every batch on the pool finished: stops its threads. */
  readonly closeComputePool?: (pool: ComputePoolHandle) => void;
}

const ADDON = join('build', 'Release', 'datamover_native.node');

/** The own addon once looked for (null: not built). */
let addon: OwnAddon | null | undefined;

/**
 * This package's own addon (native/, entry native/addon.c; built by `npm ci` / `npm install` with
 * node-gyp), or undefined when it was not built; looked for once per thread, so hot paths may call
 * this per block. src/core/ and dist/chunks/ both sit two folders below the package root; from
 * elsewhere (a bench's build folder) the root is found by self-reference, which costs a
 * package.json resolution.
 */
export function ownAddon(): OwnAddon | undefined {
  if (addon === undefined) addon = findAddon() ?? null;
  return addon ?? undefined;
}

function findAddon(): OwnAddon | undefined {
  for (const root of [() => fileURLToPath(new URL('../../', import.meta.url)), selfRoot]) {
    try {
      return load(join(root(), ADDON)) as OwnAddon;
    } catch {
      // Not there: the next place, then the fallback (no compiler, or install scripts not allowed).
    }
  }
  return undefined;
}

function selfRoot(): string {
  return dirname(load.resolve('datamover/package.json'));
}

/**
 * CRC-32C: the own addon's three SSE4.2 streams (27 GB/s on one core here) when available, else
 * @node-rs/crc32 (one stream, 6.5 GB/s). Every repository frame's payload is checksummed, so at
 * ~0.7 GB of payload per backup of the fixtures disk this was ~0.12 s of compute-thread CPU.
 */
export function crc32cNative(): Crc32c {
  return (crc32cFn ??= ownAddon()?.crc32c ?? ((data, seed) => crcNative().crc32c(data as Buffer, seed)));
}

/** @napi-rs/blake-hash: BLAKE3, plain and keyed. */
export function blakeNative(): BlakeHash {
  return (blakeHash ??= loadNapi<BlakeHash>('@napi-rs/blake-hash'));
}

/** zstd-napi's low-level binding (caller-owned buffers). */
export function zstdNative(): ZstdBinding {
  return (zstd ??= load('zstd-napi/binding.js') as ZstdBinding);
}
