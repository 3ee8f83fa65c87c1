/**
 * $ATTRIBUTE_LIST expansion: a file whose attributes overflow its base record keeps them in extension
 * records the list names. Bounded (list size, extension count); every extension must name this base.
 */
import { dmError } from '../../errors.js';
import { s64, u16 } from '../bytes.js';
import type { BootSector } from './boot-sector.js';
import { AttrType, refRecord } from './record.js';
import type { Attribute, MftRecord } from './record.js';
import { decodeRunlist } from './runlist.js';
import type { Run } from './runlist.js';
import { readStream } from './stream.js';
import type { VolumeGeometry } from './stream.js';

/** What the expansion needs of the $MFT: the Mft class of mft.ts (which calls it) is one. */
export interface RecordSource {
  readonly geo: VolumeGeometry;
  readonly boot: Pick<BootSector, 'totalClusters'>;
  readRecord(n: number): Promise<MftRecord>;
  /** Disk offset of a record (for messages); -1 if unmapped. */
  diskOffsetOf(n: number): number;
}

/** NTFS caps an attribute list at 256 KiB; anything larger is forged. */
export const MAX_ATTRIBUTE_LIST_BYTES = 256 * 1024;
/** Extension records one file may span; generous (a 256 KiB list has at most ~8k entries). */
export const MAX_EXTENSION_RECORDS = 4096;

/** A base record's attributes with those of its extension records (the list itself removed). */
export async function expandAttributeList(mft: RecordSource, record: MftRecord): Promise<Attribute[]> {
  const lists = record.attributes.filter((a) => a.type === AttrType.attributeList);
  if (lists.length === 0) return record.attributes;
  const fail = (msg: string): never => {
    throw dmError('DM_ERR_NTFS_ATTRLIST', `MFT record ${record.number}: ${msg}`, {
      file: mft.geo.source.path,
      offset: mft.diskOffsetOf(record.number),
      field: '$ATTRIBUTE_LIST',
    });
  };
  if (lists.length > 1) fail('more than one $ATTRIBUTE_LIST');
  const list = await listBytes(mft, lists[0]!, fail);
  const extensions = new Set<number>();
  for (let pos = 0; pos < list.length;) {
    if (pos + 26 > list.length) fail(`entry at +${pos} truncated`);
    const len = u16(list, pos + 4);
    const nameLen = list[pos + 6]!;
    const nameOfs = list[pos + 7]!;
    if (len < 26 || pos + len > list.length || (nameLen > 0 && nameOfs + 2 * nameLen > len))
      fail(`entry at +${pos} has invalid length`);
    if (s64(list, pos + 8) < 0) fail(`entry at +${pos} has a negative lowest VCN`);
    const ref = refRecord(list, pos + 16);
    if (ref !== record.number) extensions.add(ref);
    if (extensions.size > MAX_EXTENSION_RECORDS) fail(`more than ${MAX_EXTENSION_RECORDS} extension records`);
    pos += len;
  }
  const out = record.attributes.filter((a) => a.type !== AttrType.attributeList);
  for (const ext of [...extensions].sort((a, b) => a - b)) {
    let rec: MftRecord;
    try {
      rec = await mft.readRecord(ext);
    } catch (err) {
      throw dmError(
        'DM_ERR_NTFS_ATTRLIST',
        `MFT record ${record.number}: extension record ${ext} unreadable`,
        {
          file: mft.geo.source.path,
          field: '$ATTRIBUTE_LIST',
        },
        err,
      );
    }
    if (!rec.inUse || rec.baseRecord !== record.number)
      fail(`extension record ${ext} does not belong to this record (base ${rec.baseRecord})`);
    if (rec.attributes.some((a) => a.type === AttrType.attributeList))
      fail(`extension record ${ext} holds an attribute list`);
    out.push(...rec.attributes);
  }
  return out;
}

async function listBytes(mft: RecordSource, a: Attribute, fail: (msg: string) => never): Promise<Uint8Array> {
  if (!a.nonResident) return a.value!;
  if (a.dataSize > MAX_ATTRIBUTE_LIST_BYTES) fail(`size ${a.dataSize} above ${MAX_ATTRIBUTE_LIST_BYTES}`);
  let runs: Run[];
  try {
    runs = decodeRunlist(a.mappingPairs!, a.lowestVcn, a.highestVcn, mft.boot.totalClusters, {
      file: mft.geo.source.path,
    });
  } catch (err) {
    return fail(`runlist invalid: ${(err as Error).message}`);
  }
  const buf = new Uint8Array(a.dataSize);
  await readStream(mft.geo, runs, 0, a.dataSize, buf, 0, 'DM_ERR_NTFS_ATTRLIST', '$ATTRIBUTE_LIST', false);
  return buf;
}
