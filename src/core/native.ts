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
import type * as BlakeHashModule from '@napi-rs/blake-hash';
import type * as Crc32Module from '@node-rs/crc32';
import type * as ZstdBindingModule from 'zstd-napi/binding.js';

type Crc32 = typeof Crc32Module;
type BlakeHash = typeof BlakeHashModule;
type ZstdBinding = typeof ZstdBindingModule;

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
let blakeHash: BlakeHash | undefined;
let zstd: ZstdBinding | undefined;

/** @node-rs/crc32: CRC-32 and CRC-32C (SIMD). */
export function crcNative(): Crc32 {
  return (crc32 ??= loadNapi<Crc32>('@node-rs/crc32'));
}

/** @napi-rs/blake-hash: BLAKE3, plain and keyed. */
export function blakeNative(): BlakeHash {
  return (blakeHash ??= loadNapi<BlakeHash>('@napi-rs/blake-hash'));
}

/** zstd-napi's low-level binding (caller-owned buffers). */
export function zstdNative(): ZstdBinding {
  return (zstd ??= load('zstd-napi/binding.js') as ZstdBinding);
}
