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
let crc32: Crc32 | undefined;
let blakeHash: BlakeHash | undefined;
let zstd: ZstdBinding | undefined;

/** @node-rs/crc32: CRC-32 and CRC-32C (SIMD). */
export function crcNative(): Crc32 {
  return (crc32 ??= load('@node-rs/crc32') as Crc32);
}

/** @napi-rs/blake-hash: BLAKE3, plain and keyed. */
export function blakeNative(): BlakeHash {
  return (blakeHash ??= load('@napi-rs/blake-hash') as BlakeHash);
}

/** zstd-napi's low-level binding (caller-owned buffers). */
export function zstdNative(): ZstdBinding {
  return (zstd ??= load('zstd-napi/binding.js') as ZstdBinding);
}
