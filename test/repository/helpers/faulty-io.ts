/** A RepoIo that fails like a full disk: writes succeed until `budget` bytes, then ENOSPC. */
import { nodeIo } from '../../../src/repository/io.js';
import type { RepoIo, WritableFile } from '../../../src/repository/io.js';

export function enospcAfter(
  budget: number,
  only: (path: string) => boolean = () => true,
): RepoIo & { written: () => number } {
  let written = 0;
  const fail = () =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
  return {
    written: () => written,
    async openWrite(path, mode) {
      const inner: WritableFile = await nodeIo.openWrite(path, mode);
      if (!only(path)) return inner;
      return {
        async writev(buffers, position) {
          const len = buffers.reduce((s, b) => s + b.length, 0);
          if (written + len > budget) {
            // A real full disk may accept part of the write first.
            const room = Math.max(0, budget - written);
            if (room > 0) await inner.writev([Buffer.concat(buffers).subarray(0, room)], position);
            written = budget;
            throw fail();
          }
          written += len;
          return inner.writev(buffers, position);
        },
        sync: () => inner.sync(),
        truncate: (n) => inner.truncate(n),
        close: () => inner.close(),
      };
    },
  };
}
