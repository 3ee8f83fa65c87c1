/**
 * One restore run on a worker: read the run's range of the pack, and for each wanted frame check
 * it exactly as the main-thread restore does (header CRC, frame length against the manifest, the
 * identity the manifest names, frame CRC for plain frames or GCM for encrypted ones; the re-hash
 * too with `rehash`), decode it and write it to every disk offset it fills. Stops at the first bad
 * frame (the restore fails as a whole, so nothing after it matters).
 */
import { IDENTITY_BYTES } from '../core/blob.js';
import { dmError } from '../errors.js';
import { FRAME_HEADER_SIZE } from '../format/constants.js';
import { decodeFrameHeader } from '../format/frame.js';
import { DecodeScratch, checkFrame, decodeFrame } from '../compute/frame-open.js';
import type { FrameView } from '../compute/frame-open.js';
import type { RestoreRun, RestoreRunReply } from './frame-run-protocol.js';
import { writeFully } from './range-reader.js';
import type { RangeReader } from './range-reader.js';

/** The frame at `offset`, which the manifest says is `frameLength` bytes long. */
export function frameAt(reader: RangeReader, offset: number, frameLength: number, file: string): FrameView {
  if (frameLength < FRAME_HEADER_SIZE)
    throw dmError('DM_ERR_REPO_CORRUPT', 'frame length differs from the manifest', { file, offset });
  const bytes = reader.view(offset, frameLength);
  const headerBytes = bytes.subarray(0, FRAME_HEADER_SIZE);
  const header = decodeFrameHeader(headerBytes, file, offset);
  if (FRAME_HEADER_SIZE + header.storedLength !== frameLength)
    throw dmError('DM_ERR_REPO_CORRUPT', 'frame length differs from the manifest', { file, offset });
  return { offset, header, headerBytes, payload: bytes.subarray(FRAME_HEADER_SIZE) };
}

/** This thread's decode buffer for raw targets (a VHDX run decodes straight into its reply). */
const scratch = new DecodeScratch();

export function restoreRun(run: RestoreRun, reader: RangeReader): RestoreRunReply {
  const file = run.packPath;
  const keys = { blobKey: run.blobKey, identityKey: run.identityKey };
  const n = run.offsets.length;
  // VHDX target: blocks go back to the main thread in one buffer per run (moved, not cloned).
  const blocks = run.outFd === undefined ? new Uint8Array(n * run.blockSize) : undefined;
  const blockLengths = blocks ? new Uint32Array(n) : undefined;
  let bytesWritten = 0;
  reader.reset(run.packFd, file, run.end);
  for (let i = 0; i < n; i++) {
    const f = frameAt(reader, run.offsets[i]!, run.frameLengths[i]!, file);
    const expected = run.identities.subarray(i * IDENTITY_BYTES, (i + 1) * IDENTITY_BYTES);
    checkFrame(f, keys, file, { expected, full: run.rehash });
    const rawLength = f.header.rawLength;
    if (rawLength > run.blockSize)
      throw dmError('DM_ERR_REPO_CORRUPT', `blob of ${rawLength} bytes exceeds the block size`, {
        file,
        offset: f.offset,
      });
    const slot = blocks?.subarray(i * run.blockSize, (i + 1) * run.blockSize);
    const raw = decodeFrame(f, keys, file, run.rehash, slot ?? scratch.get(rawLength));
    const targets = run.targetStart[i + 1]! - run.targetStart[i]!;
    if (slot) {
      if (raw.buffer !== slot.buffer) slot.set(raw); // stored raw: still a view of the payload
      blockLengths![i] = raw.length;
      bytesWritten += raw.length * targets;
      continue;
    }
    for (let k = run.targetStart[i]!; k < run.targetStart[i + 1]!; k++) {
      writeFully(run.outFd!, raw, run.targets[k]!, run.outPath);
      bytesWritten += raw.length;
    }
  }
  return { error: undefined, bytesWritten, blocks, blockLengths };
}
