/** The file type identifier at offset 0 (formats.md §1.3): `vhdxfile` + UTF-16LE creator. */
import { dmError } from '../../../errors.js';
import { FILE_ID_SIZE, SIG_FILE_ID } from './constants.js';
import { readAscii, writeAscii } from './bytes.js';

const CREATOR_OFFSET = 8;
const CREATOR_BYTES = 512;

export interface FileIdentifier {
  readonly creator: string;
}

export function encodeFileIdentifier(creator: string): Uint8Array {
  const buf = new Uint8Array(FILE_ID_SIZE);
  writeAscii(buf, 0, SIG_FILE_ID);
  const utf16 = Buffer.from(creator, 'utf16le');
  buf.set(utf16.subarray(0, CREATOR_BYTES - 2), CREATOR_OFFSET);
  return buf;
}

/** True when the buffer starts with `vhdxfile` (the format probe). */
export function hasVhdxSignature(buf: Uint8Array): boolean {
  return buf.length >= 8 && readAscii(buf, 0, 8) === SIG_FILE_ID;
}

export function decodeFileIdentifier(buf: Uint8Array, file: string): FileIdentifier {
  if (!hasVhdxSignature(buf)) {
    throw dmError('DM_ERR_VHDX_SIGNATURE', 'file type identifier is not "vhdxfile"', {
      file,
      offset: 0,
      field: 'Signature',
    });
  }
  const end = Math.min(buf.length, CREATOR_OFFSET + CREATOR_BYTES);
  const raw = Buffer.from(buf.buffer, buf.byteOffset + CREATOR_OFFSET, Math.max(0, end - CREATOR_OFFSET));
  const text = raw.toString('utf16le');
  const nul = text.indexOf('\0');
  return { creator: nul >= 0 ? text.slice(0, nul) : text };
}
