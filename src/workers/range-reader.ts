/**
 * Synchronous positional reads of one pack range into a buffer this thread reuses for every run
 * (grow-only, so memory stays at about one read chunk per worker, and nothing is allocated per
 * frame). `view(pos, len)` returns the bytes of [pos, pos + len), reading forward in large chunks;
 * a view stays valid until the next `view` or `reset` call.
 */
import { readSync, writeSync } from 'node:fs';
import { dmError, fromSystemError } from '../errors.js';

/** One read per run in the common case (runs are at most a few MiB plus one frame). */
export const READ_CHUNK = 16 * 1024 * 1024;

export class RangeReader {
  #buf: Buffer = Buffer.allocUnsafeSlow(0);
  /** File offset of #buf[0], and how many bytes of #buf hold file data. */
  #at = 0;
  #filled = 0;
  #fd = -1;
  #path = '';
  #end = 0;

  /** Starts a new range: reads never go past `end`. */
  reset(fd: number, path: string, end: number): void {
    this.#fd = fd;
    this.#path = path;
    this.#end = end;
    this.#filled = 0;
    this.#at = 0;
  }

  view(pos: number, len: number): Uint8Array {
    if (pos + len > this.#end)
      throw dmError('DM_ERR_REPO_CORRUPT', 'blob frame is truncated', { file: this.#path, offset: pos });
    if (pos >= this.#at && pos + len <= this.#at + this.#filled)
      return this.#buf.subarray(pos - this.#at, pos - this.#at + len);
    // Keep the part of the window at or after `pos` (a frame that straddles the last read).
    const keep = pos >= this.#at && pos < this.#at + this.#filled ? this.#at + this.#filled - pos : 0;
    const want = Math.min(Math.max(READ_CHUNK, len), this.#end - pos);
    if (this.#buf.length < want) {
      const next = Buffer.allocUnsafeSlow(want); // only filled bytes are ever exposed
      if (keep > 0) this.#buf.copy(next, 0, pos - this.#at, pos - this.#at + keep);
      this.#buf = next;
    } else if (keep > 0) {
      this.#buf.copyWithin(0, pos - this.#at, pos - this.#at + keep);
    }
    this.#at = pos;
    this.#filled = keep;
    while (this.#filled < want) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#buf, this.#filled, want - this.#filled, pos + this.#filled);
      } catch (err) {
        throw fromSystemError(err, 'read', this.#path);
      }
      if (n === 0)
        throw dmError('DM_ERR_REPO_CORRUPT', 'pack ends early', {
          file: this.#path,
          offset: pos + this.#filled,
        });
      this.#filled += n;
    }
    return this.#buf.subarray(0, len);
  }
}

/** Writes all of `data` at `position` (pwrite; loops on short writes). */
export function writeFully(fd: number, data: Uint8Array, position: number, path: string): void {
  let done = 0;
  try {
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
  } catch (err) {
    throw fromSystemError(err, 'write', path);
  }
}
