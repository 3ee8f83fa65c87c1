/** Positional file writes that finish the job (short writes retried) and map errors to the catalog. */
import { stat, type FileHandle } from 'node:fs/promises';
import { fromSystemError } from '../../../errors.js';

/** Writes `data[start..start+length)` at `position` (a range, so callers need no subarray view). */
export async function writeFully(
  fh: FileHandle,
  file: string,
  data: Uint8Array,
  position: number,
  start = 0,
  length = data.length - start,
): Promise<void> {
  let done = 0;
  try {
    while (done < length) {
      const { bytesWritten } = await fh.write(data, start + done, length - done, position + done);
      if (bytesWritten <= 0) throw new Error('write returned 0 bytes');
      done += bytesWritten;
    }
  } catch (err) {
    throw fromSystemError(err, 'write', file);
  }
}

/** True when both paths name one existing file (same device and inode): never overwrite an input. */
export async function isSameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}
