/**
 * The file operations the repository *writes* through. Injectable so tests can fail them (ENOSPC
 * after N bytes, like kopia's FaultyStorage); reads go straight to node:fs.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export interface WritableFile {
  /** Writes all of `buffers` at `position` (loops on short writes). */
  writev(buffers: readonly Uint8Array[], position: number): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface RepoIo {
  /** Opens a file for writing: 'create' fails if it exists (O_EXCL), 'update' opens an existing one. */
  openWrite(path: string, mode: 'create' | 'update'): Promise<WritableFile>;
}

class NodeFile implements WritableFile {
  constructor(private readonly fh: FileHandle) {}

  async writev(buffers: readonly Uint8Array[], position: number): Promise<void> {
    let pending = buffers.filter((b) => b.length > 0);
    let pos = position;
    while (pending.length > 0) {
      const { bytesWritten } = await this.fh.writev(pending as Uint8Array[], pos);
      pos += bytesWritten;
      pending = dropBytes(pending, bytesWritten);
    }
  }

  sync(): Promise<void> {
    return this.fh.sync();
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** The buffers that remain after `n` bytes of them were written (views, no copies). */
export function dropBytes(buffers: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

export const nodeIo: RepoIo = {
  async openWrite(path, mode) {
    return new NodeFile(await open(path, mode === 'create' ? 'wx' : 'r+'));
  },
};
