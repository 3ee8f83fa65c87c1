/**
 * The frame header a sealed blob is written with (format/frame.ts): the one its sealing thread
 * built (SealedBlob.frameHeader, its payload CRC computed there while the payload was in cache),
 * checked against the blob it claims to describe, or one encoded here.
 */
import type { SealedBlob } from '../core/blob.js';
import { dmError } from '../errors.js';
import { bytesEqual } from '../format/bytes.js';
import { decodeFrameHeader, encodeFrameHeader } from '../format/frame.js';

/** `identity` is the writer's own copy of `sealed.identity`. `file` names the backup file in errors. */
export function frameHeaderFor(sealed: SealedBlob, identity: Uint8Array, file: string): Uint8Array {
  if (!sealed.frameHeader)
    return encodeFrameHeader({ ...sealed, identity, storedLength: sealed.payload.length }, sealed.payload);
  // Copied: the reply buffer it lives in is shared by its batch.
  const header = Uint8Array.from(sealed.frameHeader);
  const h = decodeFrameHeader(header, file, 0); // its own CRC
  const nonceOk = sealed.nonce
    ? h.nonce !== undefined && bytesEqual(h.nonce, sealed.nonce)
    : h.nonce === undefined;
  if (
    !bytesEqual(h.identity, sealed.identity) ||
    h.codec !== sealed.codec ||
    h.rawLength !== sealed.rawLength ||
    h.storedLength !== sealed.payload.length ||
    !nonceOk
  )
    throw dmError('DM_ERR_INTERNAL', 'a sealed block came with a frame header for another blob', { file });
  return header;
}
