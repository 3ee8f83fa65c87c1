/**
 * Directory listing through the $I30 index: $INDEX_ROOT (resident) and $INDEX_ALLOCATION INDX blocks
 * (formats.md §2.7 B). The B-tree is walked from the root via child VCNs, so stale entries in unused
 * blocks are never seen; the walk is bounded by a visited set and the allocation's block count.
 */
import { dmError } from '../../errors.js';
import { ascii, s64, u16, u32, utf16 } from '../bytes.js';
import { applyFixups } from './fixup.js';
import type { Mft } from './mft.js';
import { AttrType, refRecord } from './record.js';
import { readStream } from './stream.js';

export interface DirEntry {
  readonly record: number;
  /** Sequence number from the entry's MFT reference (0 = not checked). */
  readonly sequence: number;
  readonly name: string;
  /** 0 POSIX, 1 Win32, 2 DOS, 3 Win32+DOS. */
  readonly namespace: number;
  readonly isDirectory: boolean;
}

const ENTRY_HAS_CHILD = 0x1;
const ENTRY_LAST = 0x2;
/** FILE_NAME flag: the file has an $I30 index (a directory). */
const FILE_ATTR_DIRECTORY = 0x10000000;

/** Every entry of directory `dir` (DOS-only aliases included; callers dedupe by record). */
export async function listDirectory(mft: Mft, dir: number): Promise<DirEntry[]> {
  const file = mft.geo.source.path;
  const fail = (msg: string): never => {
    throw dmError('DM_ERR_NTFS_ATTRIBUTE', `directory record ${dir}: ${msg}`, {
      file,
      offset: mft.diskOffsetOf(dir),
      field: '$I30',
    });
  };
  const { record, attributes } = await mft.attributes(dir);
  if (!record.isDirectory) fail('not a directory');
  const root = attributes.find((a) => a.type === AttrType.indexRoot && a.name === '$I30');
  if (!root || root.nonResident || !root.value || root.value.length < 32)
    return fail('no resident $INDEX_ROOT $I30');
  const rv = root.value;
  const blockSize = u32(rv, 8);
  const out: DirEntry[] = [];
  const children: number[] = [];
  parseNode(rv, 16, rv.length, out, children, fail);
  if (children.length === 0) return out;

  const alloc = await mft.stream(attributes, AttrType.indexAllocation, '$I30');
  if (!alloc || !alloc.nonResident) return fail('index has child nodes but no $INDEX_ALLOCATION');
  if (
    blockSize !== mft.boot.indexRecordSize &&
    (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0)
  ) {
    fail(`index block size ${blockSize} invalid`);
  }
  // Child VCNs are in clusters when blocks are at least a cluster, else in 512-byte units.
  const vcnUnit = blockSize >= mft.boot.clusterSize ? mft.boot.clusterSize : 512;
  const maxBlocks = Math.floor(alloc.dataSize / blockSize);
  const seen = new Set<number>();
  const buf = new Uint8Array(blockSize);
  while (children.length > 0) {
    const vcn = children.pop()!;
    if (seen.has(vcn)) fail(`index node VCN ${vcn} reached twice (cycle)`);
    seen.add(vcn);
    if (seen.size > maxBlocks) fail('more index nodes than the allocation holds');
    const pos = vcn * vcnUnit;
    if (pos + blockSize > alloc.dataSize) fail(`index node VCN ${vcn} past the allocation`);
    await readStream(
      mft.geo,
      alloc.runs,
      pos,
      blockSize,
      buf,
      0,
      'DM_ERR_NTFS_ATTRIBUTE',
      `$I30 node ${vcn}`,
      false,
    );
    if (ascii(buf, 0, 4) !== 'INDX') fail(`index node VCN ${vcn} has no INDX magic`);
    applyFixups(buf, { file, field: `$I30 node ${vcn}` });
    if (s64(buf, 16) !== vcn) fail(`index node at VCN ${vcn} says VCN ${s64(buf, 16)}`);
    parseNode(buf, 24, blockSize, out, children, fail);
  }
  return out;
}

/** Parses the INDEX_HEADER at `hdr` and its entries; pushes child VCNs to `children`. */
function parseNode(
  b: Uint8Array,
  hdr: number,
  limit: number,
  out: DirEntry[],
  children: number[],
  fail: (m: string) => never,
): void {
  const first = hdr + u32(b, hdr);
  const end = hdr + u32(b, hdr + 4);
  if (end > limit || first < hdr + 16 || first > end) fail('index header offsets invalid');
  let pos = first;
  for (;;) {
    if (pos + 16 > end) fail('index entries run past the node without a last entry');
    const len = u16(b, pos + 8);
    const keyLen = u16(b, pos + 10);
    const flags = u16(b, pos + 12);
    if (len < 16 || len % 8 !== 0 || pos + len > end) fail(`index entry at +${pos} has length ${len}`);
    if (flags & ENTRY_HAS_CHILD) {
      if (len < 24) fail(`index entry at +${pos} too short for a child VCN`);
      const vcn = s64(b, pos + len - 8);
      if (!(vcn >= 0)) fail(`index entry at +${pos} has child VCN ${vcn}`);
      children.push(vcn);
    }
    if (flags & ENTRY_LAST) break;
    if (keyLen < 66 || 16 + keyLen > len) fail(`index entry at +${pos} has key length ${keyLen}`);
    const key = pos + 16;
    const nameLen = b[key + 64]!;
    if (66 + 2 * nameLen > keyLen) fail(`index entry at +${pos}: name longer than its key`);
    out.push({
      record: refRecord(b, pos),
      sequence: u16(b, pos + 6),
      name: utf16(b, key + 66, nameLen),
      namespace: b[key + 65]!,
      isDirectory: (u32(b, key + 56) & FILE_ATTR_DIRECTORY) !== 0,
    });
    pos += len;
  }
}
