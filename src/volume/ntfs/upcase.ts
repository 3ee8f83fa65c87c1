/**
 * Case folding for NTFS name compares. Exact: the volume's $UpCase table (record 10, 64 Ki UTF-16
 * units). Fallback when it cannot be read: simple one-to-one Unicode upper-casing per code unit
 * (`ß` stays `ß`, unlike String#toUpperCase), which matches $UpCase for ASCII and nearly all else.
 */
import type { Mft } from './mft.js';
import { AttrType } from './record.js';
import { readStream } from './stream.js';

export type Folder = (name: string) => string;

export function simpleFold(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const up = ch.toUpperCase();
    out += up.length === 1 ? up : ch;
  }
  return out;
}

/** The volume's $UpCase as a folder, or undefined when it is missing or malformed. */
export async function loadUpcase(mft: Mft): Promise<Folder | undefined> {
  try {
    const { attributes } = await mft.attributes(10);
    const data = await mft.stream(attributes, AttrType.data, '');
    if (!data || !data.nonResident || data.dataSize !== 131072 || data.initializedSize !== 131072)
      return undefined;
    const bytes = new Uint8Array(131072);
    await readStream(mft.geo, data.runs, 0, bytes.length, bytes, 0, 'DM_ERR_NTFS_RECORD', '$UpCase', false);
    // Little-endian on disk; a typed view is exact on little-endian hosts, else decode by hand.
    const table = new Uint16Array(bytes.buffer, 0, 65536);
    if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
      for (let i = 0; i < 65536; i++) table[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
    }
    return (name: string): string => {
      let out = '';
      for (let i = 0; i < name.length; i++) out += String.fromCharCode(table[name.charCodeAt(i)]!);
      return out;
    };
  } catch {
    return undefined;
  }
}
