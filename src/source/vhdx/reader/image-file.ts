/**
 * One open image file: positional reads (sync for metadata and bitmaps, async or sync for payload)
 * that report truncation instead of zero-filling, with an optional log overlay on top.
 */
import fs from 'node:fs';
import { dmError, fromSystemError } from '../../../errors.js';
import type { LogOverlay } from './log-overlay.js';
import { openRegularFile } from '../../../core/regular-file.js';

export class ImageFile {
  overlay: LogOverlay | undefined;
  /**
   * Bytes the file logically has: its size, or more when a replayed log extended it (the gap reads as
   * zeros, as after a real replay).
   */
  logicalSize: number;

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly size: number,
    readonly dev: number,
    readonly ino: number,
  ) {
    this.logicalSize = size;
  }

  static open(path: string): ImageFile {
    const { fd, stat } = openRegularFile(path);
    return new ImageFile(path, fd, stat.size, stat.dev, stat.ino);
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private truncated(fileOffset: number, length: number, what: string): never {
    throw dmError(
      'DM_ERR_SOURCE_TRUNCATED',
      `${what} at ${fileOffset}+${length} lies past the end of the file (${this.size} bytes): the image is truncated`,
      { file: this.path, offset: fileOffset, field: what },
    );
  }

  /** Throws DM_ERR_SOURCE_TRUNCATED unless [fileOffset, +length) lies inside the file. */
  requireInside(fileOffset: number, length: number, what: string): void {
    if (!(fileOffset >= 0 && fileOffset + length <= this.logicalSize))
      this.truncated(fileOffset, length, what);
  }

  /** Reads exactly `length` bytes (a freshly allocated buffer): for metadata structures only. */
  readStruct(fileOffset: number, length: number, what: string): Uint8Array {
    this.requireInside(fileOffset, length, what);
    const buf = new Uint8Array(length);
    this.readSync(buf, 0, length, fileOffset, what);
    return buf;
  }

  readSync(buf: Uint8Array, bufOffset: number, length: number, fileOffset: number, what: string): void {
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, bufOffset + done, length - done, fileOffset + done);
      } catch (err) {
        throw fromSystemError(err, 'read', this.path);
      }
      if (n === 0) {
        this.pastEnd(buf, bufOffset + done, length - done, fileOffset + done, what);
        break;
      }
      done += n;
    }
    if (this.overlay) this.overlay.apply(buf, bufOffset, length, fileOffset);
  }

  async readAsync(
    buf: Uint8Array,
    bufOffset: number,
    length: number,
    fileOffset: number,
    what: string,
  ): Promise<void> {
    let done = 0;
    while (done < length) {
      const n = await preadAsync(this.fd, buf, bufOffset + done, length - done, fileOffset + done, this.path);
      if (n === 0) {
        this.pastEnd(buf, bufOffset + done, length - done, fileOffset + done, what);
        break;
      }
      done += n;
    }
    if (this.overlay) this.overlay.apply(buf, bufOffset, length, fileOffset);
  }

  /**
   * The hot path for payload reads: one pread through the thread pool with a single promise and no
   * async frames; short reads (rare) continue in readAsync.
   */
  readOnce(buf: Uint8Array, bufOffset: number, length: number, fileOffset: number): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buf, bufOffset, length, fileOffset, (err, n) => {
        if (err) reject(fromSystemError(err, 'read', this.path));
        else if (n < length)
          this.readAsync(buf, bufOffset + n, length - n, fileOffset + n, 'payload').then(() => {
            if (this.overlay) this.overlay.apply(buf, bufOffset, n, fileOffset);
            resolve();
          }, reject);
        else {
          if (this.overlay) this.overlay.apply(buf, bufOffset, length, fileOffset);
          resolve();
        }
      });
    });
  }

  /** EOF mid-read: zeros only inside a log-extended tail, otherwise the file is truncated. */
  private pastEnd(
    buf: Uint8Array,
    bufOffset: number,
    length: number,
    fileOffset: number,
    what: string,
  ): void {
    // EOF before the size seen at open means the file shrank; past it, only a log-extended tail is zeros.
    if (fileOffset < this.size || fileOffset + length > this.logicalSize)
      this.truncated(fileOffset, length, what);
    buf.fill(0, bufOffset, bufOffset + length);
  }
}

function preadAsync(
  fd: number,
  buf: Uint8Array,
  off: number,
  len: number,
  pos: number,
  path: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, off, len, pos, (err, n) =>
      err ? reject(fromSystemError(err, 'read', path)) : resolve(n),
    );
  });
}
