/** CRC-32 (IEEE 802.3 / zlib), as GPT headers and partition entry arrays use; native and SIMD. */
import { crc32 as nativeCrc32 } from '@node-rs/crc32';

export function crc32(data: Uint8Array): number {
  return nativeCrc32(data) >>> 0;
}
