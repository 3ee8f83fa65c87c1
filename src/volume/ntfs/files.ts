/** Guest paths to MFT records, file cluster extents, and bounded recursive directory walks. */
import { dmError } from '../../errors.js';
import { listDirectory } from './dir-index.js';
import type { DirEntry } from './dir-index.js';
import type { Mft } from './mft.js';
import { AttrType } from './record.js';
import type { Folder } from './upcase.js';

export const ROOT_RECORD = 5;
/** Bounds for a directory exclusion: files collected, and nesting depth. */
export const MAX_TREE_FILES = 1_000_000;
export const MAX_TREE_DEPTH = 64;

/** Splits `C:\Users\x`, `\Windows\Temp` or `/a/b` into components; the drive letter is dropped. */
export function splitGuestPath(path: string): string[] {
  const noDrive = path.replace(/^[A-Za-z]:/, '');
  return noDrive.split(/[\\/]+/).filter((c) => c !== '' && c !== '.');
}

export interface ResolvedFile {
  readonly record: number;
  /** Sequence number the directory entry expects (0 = unchecked: the root). */
  readonly sequence: number;
  readonly isDirectory: boolean;
}

/** Resolves a guest path from the root directory. Throws DM_ERR_NTFS_NOT_FOUND when it does not exist. */
export async function resolvePath(mft: Mft, fold: Folder, path: string): Promise<ResolvedFile> {
  let cur: ResolvedFile = { record: ROOT_RECORD, sequence: 0, isDirectory: true };
  for (const part of splitGuestPath(path)) {
    const want = fold(part);
    const hit: DirEntry | undefined = cur.isDirectory
      ? (await listDirectory(mft, cur.record)).find((e) => fold(e.name) === want)
      : undefined;
    if (!hit) {
      throw dmError('DM_ERR_NTFS_NOT_FOUND', `"${path}" not found on the volume ("${part}" is missing)`, {
        file: mft.geo.source.path,
        field: path,
      });
    }
    cur = { record: hit.record, sequence: hit.sequence, isDirectory: hit.isDirectory };
  }
  return cur;
}

/** Volume-relative cluster extents of a file's unnamed $DATA (real runs only; holes and resident data have none). */
export interface FileClusters {
  readonly dataSize: number;
  /** [lcn, length] pairs in VCN order. */
  readonly runs: { lcn: number; length: number }[];
}

/**
 * A non-zero `sequence` (from the directory entry) must match the record's: a mismatch means the
 * entry is stale and the record now holds another file, whose clusters must not be excluded.
 */
export async function fileClusters(mft: Mft, record: number, sequence = 0): Promise<FileClusters> {
  const { record: rec, attributes } = await mft.attributes(record);
  if (sequence !== 0 && rec.sequence !== sequence) {
    throw dmError(
      'DM_ERR_NTFS_RECORD',
      `directory entry for record ${record} expects sequence ${sequence}, the record has ${rec.sequence}`,
      {
        file: mft.geo.source.path,
        offset: mft.diskOffsetOf(record),
        field: 'sequence number',
      },
    );
  }
  const data = await mft.stream(attributes, AttrType.data, '');
  if (!data || !data.nonResident) return { dataSize: data?.dataSize ?? 0, runs: [] };
  return {
    dataSize: data.dataSize,
    runs: data.runs.filter((r) => r.lcn >= 0).map((r) => ({ lcn: r.lcn, length: r.length })),
  };
}

/**
 * All non-directory files beneath directory `dir`, recursively (records, deduplicated). Bounded by
 * MAX_TREE_FILES and MAX_TREE_DEPTH; a directory reached twice (a cycle) is not walked again.
 */
export async function filesBeneath(mft: Mft, dir: number): Promise<{ record: number; sequence: number }[]> {
  const files = new Map<number, number>();
  const seenDirs = new Set<number>([dir]);
  const stack: { record: number; depth: number }[] = [{ record: dir, depth: 0 }];
  while (stack.length > 0) {
    const { record, depth } = stack.pop()!;
    for (const e of await listDirectory(mft, record)) {
      // System files (records 0-15, and $Extend's contents) are metadata: never excluded.
      if (e.record < 16) continue;
      if (e.isDirectory) {
        if (seenDirs.has(e.record)) continue;
        if (depth + 1 > MAX_TREE_DEPTH) {
          throw dmError('DM_ERR_NTFS_ATTRIBUTE', `directory tree deeper than ${MAX_TREE_DEPTH}`, {
            file: mft.geo.source.path,
          });
        }
        seenDirs.add(e.record);
        stack.push({ record: e.record, depth: depth + 1 });
      } else {
        files.set(e.record, e.sequence);
        if (files.size > MAX_TREE_FILES) {
          throw dmError('DM_ERR_NTFS_ATTRIBUTE', `more than ${MAX_TREE_FILES} files beneath a directory`, {
            file: mft.geo.source.path,
          });
        }
      }
    }
  }
  return [...files].map(([record, sequence]) => ({ record, sequence })).sort((a, b) => a.record - b.record);
}
