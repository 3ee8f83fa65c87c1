/**
 * CRC-32 (IEEE 802.3 / zlib, reflected 0xEDB88320), as GPT headers and partition entry arrays use.
 * Table-driven JavaScript: GPT checksums a 92-byte header and a ~16 KiB entry array once per disk,
 * which takes microseconds, while loading the native @node-rs/crc32 would cost the main thread a
 * dlopen before a backup could start (docs/decisions.md, "Native addon"). Bulk checksums are
 * CRC-32C (native.ts).
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
