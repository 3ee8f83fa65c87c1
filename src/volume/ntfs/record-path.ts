/**
 * Best-effort guest path of an MFT record, for messages: its $FILE_NAME (a Win32 or POSIX name over
 * the DOS 8.3 one), then each parent's, up to the root. Never throws; bounded depth.
 */
import { utf16 } from '../bytes.js';
import type { Mft } from './mft.js';
import { AttrType, refRecord } from './record.js';
import type { Attribute } from './record.js';

const MAX_DEPTH = 32;
const ROOT = 5;
const DOS_NAMESPACE = 2;

/** `\dir\file` for `record`, or undefined when a name or parent cannot be read. */
export async function recordPath(mft: Mft, record: number): Promise<string | undefined> {
  const parts: string[] = [];
  let n = record;
  try {
    for (let depth = 0; depth < MAX_DEPTH && n !== ROOT; depth++) {
      // Through the attribute list: a long file's $FILE_NAME may sit in an extension record.
      const fn = bestName((await mft.attributes(n)).attributes);
      if (!fn) return undefined;
      parts.unshift(fn.name);
      n = fn.parent;
    }
  } catch {
    return undefined;
  }
  return n === ROOT ? `\\${parts.join('\\')}` : undefined;
}

function bestName(attributes: readonly Attribute[]): { name: string; parent: number } | undefined {
  let best: { name: string; parent: number } | undefined;
  for (const a of attributes) {
    const v = a.value;
    if (a.type !== AttrType.fileName || !v || v.length < 66) continue;
    const len = v[64]!;
    if (66 + 2 * len > v.length) continue;
    const name = { name: utf16(v, 66, len), parent: refRecord(v, 0) };
    if (v[65] !== DOS_NAMESPACE) return name;
    best ??= name;
  }
  return best;
}

/** `record 64 (\dir\file)`, or `record 64` without a readable name. */
export async function describeRecord(mft: Mft, record: number): Promise<string> {
  const path = await recordPath(mft, record);
  return path ? `MFT record ${record} (${path})` : `MFT record ${record}`;
}
