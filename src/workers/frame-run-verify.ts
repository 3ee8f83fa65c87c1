/**
 * One verify run on a worker: walk every frame header from the run's start to its end and fully
 * check each frame (header CRC, the identity a manifest names, decryption, decompression, re-hash:
 * verify is the full check). Problems are collected, not thrown: after a bad frame the walk goes
 * on with the next one, and after a damaged header (whose length cannot be trusted) it resumes at
 * the next referenced frame, as the main-thread verify does.
 */
import { IDENTITY_BYTES } from '../core/blob.js';
import { dmError, toWire } from '../errors.js';
import { FRAME_HEADER_SIZE } from '../format/constants.js';
import { decodeFrameHeader } from '../format/frame.js';
import { DecodeScratch, checkFrame, decodeFrame } from '../compute/frame-open.js';
import type { FrameView } from '../compute/frame-open.js';
import type { VerifyProblemAt, VerifyRun, VerifyRunReply } from './frame-run-protocol.js';
import type { RangeReader } from './range-reader.js';

/** The whole frame starting at `pos`, its length taken from its (CRC-checked) header. */
function nextFrame(reader: RangeReader, run: VerifyRun, pos: number): FrameView {
  const file = run.packPath;
  if (run.end - pos < FRAME_HEADER_SIZE)
    throw dmError('DM_ERR_REPO_CORRUPT', 'blob frame is truncated', { file, offset: pos });
  const length =
    FRAME_HEADER_SIZE + decodeFrameHeader(reader.view(pos, FRAME_HEADER_SIZE), file, pos).storedLength;
  if (pos + length > run.end)
    throw dmError(
      'DM_ERR_REPO_CORRUPT',
      run.end === run.packEnd
        ? 'blob frame runs past the committed end of the pack'
        : 'blob frame runs into the next referenced frame',
      { file, offset: pos },
    );
  // Read the whole frame, then decode the header again: the first view may have moved.
  const bytes = reader.view(pos, length);
  const headerBytes = bytes.subarray(0, FRAME_HEADER_SIZE);
  return {
    offset: pos,
    header: decodeFrameHeader(headerBytes, file, pos),
    headerBytes,
    payload: bytes.subarray(FRAME_HEADER_SIZE),
  };
}

/** This thread's decode buffer: verify only needs each block until it is hashed. */
const scratch = new DecodeScratch();

export function verifyRun(run: VerifyRun, reader: RangeReader): VerifyRunReply {
  const file = run.packPath;
  const keys = { blobKey: run.blobKey, identityKey: run.identityKey };
  const refs = run.offsets;
  const seen = new Uint8Array(refs.length);
  const problems: VerifyProblemAt[] = [];
  let frames = 0;
  let bytes = 0;
  let ref = 0; // index of the first referenced offset not below pos
  reader.reset(run.packFd, file, run.end);
  let pos = run.start;
  while (pos < run.end) {
    while (ref < refs.length && refs[ref]! < pos) ref++;
    let f: FrameView;
    try {
      f = nextFrame(reader, run, pos);
    } catch (err) {
      problems.push({ offset: pos, error: toWire(err) });
      while (ref < refs.length && refs[ref]! <= pos) ref++;
      if (ref === refs.length) break;
      pos = refs[ref]!;
      continue;
    }
    frames++;
    const isRef = ref < refs.length && refs[ref] === pos;
    if (isRef) seen[ref] = 1;
    try {
      const expected = isRef
        ? run.identities.subarray(ref * IDENTITY_BYTES, (ref + 1) * IDENTITY_BYTES)
        : undefined;
      checkFrame(f, keys, file, { expected, full: true });
      bytes += decodeFrame(f, keys, file, true, scratch.get(f.header.rawLength)).length;
    } catch (err) {
      problems.push({ offset: pos, error: toWire(err) });
    }
    pos += f.payload.length + FRAME_HEADER_SIZE;
  }
  return { error: undefined, frames, bytes, seen, problems };
}
