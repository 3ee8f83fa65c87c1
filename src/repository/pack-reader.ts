/**
 * Reads packs back in large sequential chunks (restore and verify are bounded by per-call
 * overhead, not by the disk, at 1 MiB frames). `scanFrames` walks every frame of a byte range in
 * order; a frame that straddles a chunk is carried into the next read.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { dmError, fromSystemError } from '../errors.js';
import { FRAME_HEADER_SIZE, PACK_HEADER_SIZE } from '../format/constants.js';
import { decodeFrameHeader } from '../format/frame.js';
import type { FrameHeader } from '../format/frame.js';
import { decodePackHeader } from '../format/pack-header.js';
import type { PackHeader } from '../format/pack-header.js';
import { kindOf } from '../core/regular-file.js';
import { isRealDir, pathKind, wrongKind } from './safe-fs.js';

function missingPack(path: string) {
  return dmError(
    'DM_ERR_REPO_CORRUPT',
    'pack is missing (deleted or moved?): the points that use it cannot be restored',
    {
      file: path,
    },
  );
}

export const READ_CHUNK = 16 * 1024 * 1024;
/** Room before a read-ahead chunk for the unread tail of the previous one (a frame of ≤ 8 MiB blocks). */
const HEADROOM = 9 * 1024 * 1024;

interface ReadAhead {
  readonly at: number;
  readonly length: number;
  readonly buf: Uint8Array;
  readonly done: Promise<void>;
}

export interface Frame {
  readonly offset: number;
  readonly header: FrameHeader;
  readonly headerBytes: Uint8Array;
  /** A view into the read buffer: valid only during the visit callback unless copied. */
  readonly payload: Uint8Array;
}

export class PackReader {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly header: PackHeader,
    readonly size: number,
  ) {}

  /**
   * Opens a pack a point references. A pack that is missing, or is not a regular file in a real
   * packs directory (a FIFO, device, directory or symlink put in its place), is repository damage:
   * DM_ERR_REPO_CORRUPT naming the pack. It is never followed, and never opened when lstat shows it.
   */
  static async open(path: string): Promise<PackReader> {
    await isRealDir(dirname(path), 'packs directory');
    const kind = await pathKind(path);
    if (kind === 'missing') throw missingPack(path);
    if (kind !== 'regular file') throw wrongKind(path, kind, 'pack');
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const errno = (err as NodeJS.ErrnoException).code;
      if (errno === 'ENOENT') throw missingPack(path);
      if (errno === 'ELOOP') throw wrongKind(path, 'symlink', 'pack');
      throw fromSystemError(err, 'open', path);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw wrongKind(path, kindOf(st), 'pack');
      const size = st.size;
      const buf = new Uint8Array(PACK_HEADER_SIZE);
      await readExactly(fh, buf, 0, path);
      return new PackReader(path, fh, decodePackHeader(buf, path), size);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** The open descriptor, for worker threads that read runs themselves (valid until `close`). */
  get fd(): number {
    return this.fh.fd;
  }

  close(): Promise<void> {
    return this.fh.close();
  }

  /**
   * Visits every frame starting at `start` until `end`. `visit` may return a promise; the next
   * chunk is read while it is pending. Throws on a frame that is malformed or crosses `end`.
   */
  async scanFrames(start: number, end: number, visit: (f: Frame) => void | Promise<void>): Promise<void> {
    if (end > this.size)
      throw dmError('DM_ERR_REPO_CORRUPT', `pack is ${this.size} bytes, points need ${end}`, {
        file: this.path,
      });
    this.#ahead = undefined;
    try {
      await this.#scan(start, end, visit);
    } finally {
      // Never leave a read running on a handle that may be closed next.
      const ahead = this.#ahead as ReadAhead | undefined; // set by #refill during the scan
      await ahead?.done.catch(() => undefined);
      this.#ahead = undefined;
    }
  }

  #ahead: ReadAhead | undefined;

  async #scan(start: number, end: number, visit: (f: Frame) => void | Promise<void>): Promise<void> {
    let bufOffset = start; // file offset of buf[0]
    let buf: Uint8Array = new Uint8Array(0);
    let pos = 0; // next frame within buf
    let pending: Promise<unknown> = Promise.resolve();
    while (bufOffset + pos < end) {
      const frameAt = bufOffset + pos;
      const needHeader = FRAME_HEADER_SIZE;
      if (buf.length - pos < needHeader) {
        ({ buf, pos, bufOffset } = await this.#refill(buf, pos, bufOffset, end, needHeader));
      }
      const headerBytes = buf.subarray(pos, pos + FRAME_HEADER_SIZE);
      const header = decodeFrameHeader(headerBytes, this.path, frameAt);
      const frameLen = FRAME_HEADER_SIZE + header.storedLength;
      if (frameAt + frameLen > end)
        throw dmError('DM_ERR_REPO_CORRUPT', 'blob frame runs past the committed end of the pack', {
          file: this.path,
          offset: frameAt,
        });
      if (buf.length - pos < frameLen) {
        ({ buf, pos, bufOffset } = await this.#refill(buf, pos, bufOffset, end, frameLen));
        continue; // re-decode from the new buffer (headers are views into it)
      }
      await pending;
      pending = Promise.resolve(
        visit({
          offset: frameAt,
          header,
          headerBytes,
          payload: buf.subarray(pos + FRAME_HEADER_SIZE, pos + frameLen),
        }),
      );
      pos += frameLen;
    }
    await pending;
  }

  /**
   * A fresh buffer holding the unread rest of `buf` plus the next chunk (never reused: visits may
   * hold views). The chunk after it is read ahead while the caller decodes this one.
   */
  async #refill(buf: Uint8Array, pos: number, bufOffset: number, end: number, need: number) {
    const rest = buf.length - pos;
    const fileAt = bufOffset + buf.length;
    if (rest + (end - fileAt) < need)
      throw dmError('DM_ERR_REPO_CORRUPT', 'blob frame is truncated', {
        file: this.path,
        offset: bufOffset + pos,
      });
    const ahead = this.#ahead;
    this.#ahead = undefined;
    let next: Uint8Array;
    if (ahead && ahead.at === fileAt && rest <= HEADROOM && rest + ahead.length >= need) {
      await ahead.done;
      ahead.buf.set(buf.subarray(pos), HEADROOM - rest);
      next = ahead.buf.subarray(HEADROOM - rest, HEADROOM + ahead.length);
    } else {
      await ahead?.done.catch(() => undefined);
      const size = Math.min(Math.max(READ_CHUNK, need), rest + (end - fileAt));
      next = Buffer.allocUnsafeSlow(size); // every byte is overwritten below (or the read throws)
      next.set(buf.subarray(pos), 0);
      await readExactly(this.fh, next.subarray(rest), fileAt, this.path);
    }
    const nextAt = bufOffset + pos + next.length;
    if (nextAt < end) this.#readAhead(nextAt, Math.min(READ_CHUNK, end - nextAt));
    return { buf: next, pos: 0, bufOffset: bufOffset + pos };
  }

  /** Starts reading [at, at+length) into a fresh buffer with HEADROOM spare bytes in front. */
  #readAhead(at: number, length: number): void {
    // Not zero-filled: only the part the read fills (and the tail copied in front) is ever exposed.
    const buf = Buffer.allocUnsafeSlow(HEADROOM + length);
    const done = readExactly(this.fh, buf.subarray(HEADROOM), at, this.path);
    done.catch(() => undefined); // awaited by the next refill; this only keeps it from being unhandled
    this.#ahead = { at, length, buf, done };
  }
}

async function readExactly(fh: FileHandle, buf: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(buf, done, buf.length - done, position + done));
    } catch (err) {
      throw fromSystemError(err, 'read', path);
    }
    if (n === 0)
      throw dmError('DM_ERR_REPO_CORRUPT', 'pack ends early', { file: path, offset: position + done });
    done += n;
  }
}
