/** Fast all-zero test for write buffers: memcmp (Buffer.compare) against a shared zero page. */

const ZERO_PAGE = Buffer.alloc(256 * 1024);

export function isZeroRange(buf: Uint8Array, start = 0, end = buf.length): boolean {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = start; at < end; at += ZERO_PAGE.length) {
    const stop = Math.min(end, at + ZERO_PAGE.length);
    if (ZERO_PAGE.compare(view, at, stop, 0, stop - at) !== 0) return false;
  }
  return true;
}
