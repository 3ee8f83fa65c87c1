/**
 * Raw disk images behind the DiskSource interface. Node exposes no lseek(SEEK_DATA/SEEK_HOLE), so the
 * allocation map reports the whole file as present; holes still read (as zeros) at page-cache speed.
 */
import fs from 'node:fs';
import { dmError, fromSystemError } from '../errors.js';
import type { DiskSource, Extent } from './disk-source.js';
import type { ReadMapper } from './read-map.js';
import { checkedRange } from './range.js';
import { openRegularFile } from '../core/regular-file.js';

export interface RawOpenOptions {
  /** Reads through the thread pool ('async', default) or blocking preads ('sync'). */
  readonly io?: 'async' | 'sync';
  /** Sector sizes to report (default 512). */
  readonly logicalSectorSize?: 512 | 4096;
  readonly physicalSectorSize?: 512 | 4096;
}

export class RawImage implements DiskSource {
  readonly format = 'raw' as const;
  readonly logicalSectorSize: 512 | 4096;
  readonly physicalSectorSize: 512 | 4096;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly virtualSize: number,
    private readonly io: 'async' | 'sync',
    options: RawOpenOptions,
  ) {
    this.logicalSectorSize = options.logicalSectorSize ?? 512;
    this.physicalSectorSize = options.physicalSectorSize ?? this.logicalSectorSize;
  }

  static open(path: string, options: RawOpenOptions = {}): RawImage {
    const { fd, stat } = openRegularFile(path);
    return new RawImage(path, fd, stat.size, options.io ?? 'async', options);
  }

  async read(buf: Uint8Array, offset: number, length?: number, bufOffset = 0): Promise<void> {
    if (this.closed) throw dmError('DM_ERR_ARG_INVALID', 'the image is closed', { file: this.path });
    const len = length ?? buf.length - bufOffset;
    checkedRange(this.path, this.virtualSize, buf, offset, len, bufOffset);
    let done = 0;
    while (done < len) {
      const n =
        this.io === 'sync'
          ? this.readSync(buf, bufOffset + done, len - done, offset + done)
          : await this.readAsync(buf, bufOffset + done, len - done, offset + done);
      if (n === 0)
        throw dmError('DM_ERR_SOURCE_TRUNCATED', `the file shrank below ${offset + len} bytes while open`, {
          file: this.path,
          offset: offset + done,
        });
      done += n;
    }
  }

  private readSync(buf: Uint8Array, off: number, len: number, pos: number): number {
    try {
      return fs.readSync(this.fd, buf, off, len, pos);
    } catch (err) {
      throw fromSystemError(err, 'read', this.path);
    }
  }

  private readAsync(buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buf, off, len, pos, (err, n) =>
        err ? reject(fromSystemError(err, 'read', this.path)) : resolve(n),
      );
    });
  }

  readMapper(): ReadMapper {
    return {
      map: (offset, length, bufOffset, into) => {
        // A closed descriptor's number may already name another file: never map it.
        if (this.closed) throw dmError('DM_ERR_ARG_INVALID', 'the image is closed', { file: this.path });
        checkedRange(this.path, this.virtualSize, undefined, offset, length, 0);
        into.push(this.fd, offset, length, bufOffset);
      },
      paths: { [this.fd]: this.path },
    };
  }

  extents(offset = 0, length?: number): Iterable<Extent> {
    const len = length ?? this.virtualSize - offset;
    checkedRange(this.path, this.virtualSize, undefined, offset, len, 0);
    return len > 0 ? [{ offset, length: len, kind: 'present' }] : [];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

export async function openRaw(path: string, options: RawOpenOptions = {}): Promise<RawImage> {
  return RawImage.open(path, options);
}
