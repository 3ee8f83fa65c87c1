/** CRC-32 (IEEE 802.3 / zlib), as GPT headers and partition entry arrays use; native and SIMD. */
import { crcNative } from './native.js';

export function crc32(data: Uint8Array): number {
  return crcNative().crc32(data) >>> 0;
}
