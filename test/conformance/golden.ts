/**
 * The golden facts written by native-fixtures/make-fixtures.sh, and a byte model of each fixture
 * rebuilt from its recorded writes (so a mismatch can name the exact offset, not just a sha256).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExtentKind } from '../../src/source/disk-source.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../../native-fixtures/vhdx/', import.meta.url));

export type WriteOp =
  | { op: 'pattern'; byte: number; offset: number; length: number }
  | { op: 'file'; file: string; offset: number; length: number }
  | { op: 'zero'; offset: number; length: number };

export interface QemuMapEntry {
  start: number;
  length: number;
  data: boolean;
  zero: boolean;
}

export interface Golden {
  name: string;
  description: string;
  file: string;
  subformat: 'dynamic' | 'fixed';
  virtualSize: number;
  blockSize: number;
  logicalSectorSize: 512 | 4096;
  chunkRatio: number;
  rawSha256: string;
  writes: WriteOp[];
  qemuMap: QemuMapEntry[];
  bat: { firstBlock: number; count: number; state: number }[];
  allocation: { offset: number; length: number; kind: ExtentKind }[];
}

export function loadGoldens(): Golden[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as Golden);
}

/** The script's pattern files (name includes ".bin"): sha256("<name>:<i>") for i = 0..2047, concatenated (64 KiB). */
function patternFile(name: string): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 2048; i++) parts.push(createHash('sha256').update(`${name}:${i}`).digest());
  return Buffer.concat(parts);
}

/**
 * Expected bytes of [offset, offset+length) after applying the writes in order over zeros (every
 * fixture starts from an all-zero disk; qemu-io `write -s` takes the pattern file's first bytes).
 */
export function modelRead(writes: readonly WriteOp[], offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const files = new Map<string, Buffer>();
  for (const w of writes) {
    const lo = Math.max(w.offset, offset);
    const hi = Math.min(w.offset + w.length, offset + length);
    if (lo >= hi) continue;
    if (w.op === 'pattern') out.fill(w.byte, lo - offset, hi - offset);
    else if (w.op === 'zero') out.fill(0, lo - offset, hi - offset);
    else {
      let pat = files.get(w.file);
      if (!pat) files.set(w.file, (pat = patternFile(w.file)));
      pat.copy(out, lo - offset, lo - w.offset, hi - w.offset);
    }
  }
  return out;
}
