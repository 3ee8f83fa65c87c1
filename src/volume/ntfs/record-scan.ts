/**
 * One sequential pass over every $MFT record, in bounded chunks, with the $MFT's own $BITMAP (one bit
 * per record, 1 = in use) read alongside. A record counts as in use when its header says so OR the
 * bitmap does: neither source alone may declare a record (and so its clusters) unused.
 */
import { dmError, isDmError } from '../../errors.js';
import type { DmError } from '../../errors.js';
import { u16 } from '../bytes.js';
import { checkAborted } from '../abort.js';
import type { Mft, StreamInfo } from './mft.js';
import { AttrType, isFileRecord, parseRecord, RecordFlag } from './record.js';
import type { MftRecord } from './record.js';
import { readStream } from './stream.js';

/** $MFT bytes read per step: bounded memory whatever the MFT size. */
const CHUNK_BYTES = 1 << 20;

export interface ScannedRecord {
  readonly number: number;
  /** The $MFT $BITMAP bit; undefined for the reserved records 12-15, whose bit says nothing. */
  readonly bitmapInUse: boolean | undefined;
  /** The parsed record; absent when it could not be parsed (`error` says why). */
  readonly record?: MftRecord;
  readonly error?: DmError;
}

/**
 * Calls `visit` for every record that the header or the $MFT $BITMAP marks in use, in record order
 * (the system files 0-11 always; the reserved records 12-15 by header alone, their bits being set by
 * design). Records neither marks in use are not parsed. Throws DM_ERR_NTFS_BITMAP when the $MFT $BITMAP is
 * missing or unreadable, or when the $MFT's runlist maps fewer records than its size declares
 * (records that could not be checked); DM_ERR_ABORTED between chunks.
 */
export async function scanMftRecords(
  mft: Mft,
  visit: (r: ScannedRecord) => void,
  signal?: AbortSignal,
): Promise<void> {
  const file = mft.geo.source.path;
  const rs = mft.boot.mftRecordSize;
  const { attributes } = await mft.attributes(0);
  const data = await mft.stream(attributes, AttrType.data, '');
  const declared = data ? Math.floor(data.dataSize / rs) : 0;
  if (declared > mft.recordCount) {
    throw dmError(
      'DM_ERR_NTFS_RECORD',
      `$MFT declares ${declared} records but its runlist maps only ${mft.recordCount}`,
      { file, offset: mft.diskOffsetOf(0), field: '$MFT $DATA' },
    );
  }
  const bitmap = await mft.stream(attributes, AttrType.bitmap, '');
  if (!bitmap) {
    throw dmError('DM_ERR_NTFS_BITMAP', '$MFT has no $BITMAP attribute', {
      file,
      offset: mft.diskOffsetOf(0),
      field: '$MFT $BITMAP',
    });
  }
  const total = mft.recordCount;
  // Records per chunk: a multiple of 8, so each chunk's bitmap bits start on a byte.
  const per = Math.max(8, Math.floor(CHUNK_BYTES / rs) & ~7);
  const buf = new Uint8Array(Math.min(per, total) * rs);
  const bits = new Uint8Array(per / 8);
  for (let first = 0; first < total; first += per) {
    checkAborted(signal);
    const count = Math.min(per, total - first);
    await readBitmapBytes(mft, bitmap, first / 8, Math.ceil(count / 8), bits);
    await readStream(
      mft.geo,
      mft.mftRuns,
      first * rs,
      count * rs,
      buf,
      0,
      'DM_ERR_NTFS_RECORD',
      '$MFT',
      false,
    );
    for (let i = 0; i < count; i++) {
      const at = i * rs;
      const bitmapInUse = mftBitmapSays(first + i, bits, i);
      const isFile = isFileRecord(buf, at);
      // The flags word lies in the first sector, never in a fixup-protected tail: read it raw.
      if (!bitmapInUse && (!isFile || (u16(buf, at + 22) & RecordFlag.inUse) === 0)) continue;
      const number = first + i;
      try {
        const record = parseRecord(buf.subarray(at, at + rs), number, file, mft.diskOffsetOf(number));
        visit({ number, bitmapInUse, record });
      } catch (err) {
        if (!isDmError(err)) throw err;
        visit({ number, bitmapInUse, error: err });
      }
    }
  }
}

/** Records 0-11: the system files, always in use. */
const SYSTEM_FILES = 12;
/** Records 12-15 are reserved: always marked in the $MFT $BITMAP, in use or not (their header decides). */
const FIRST_USER_RECORD = 16;

/**
 * What the $MFT $BITMAP contributes for record `n` (bit `i` of `bits`). The system files always count
 * as in use; for the reserved records 12-15 the bit is set by design and says nothing.
 */
function mftBitmapSays(n: number, bits: Uint8Array, i: number): boolean | undefined {
  if (n < SYSTEM_FILES) return true;
  if (n < FIRST_USER_RECORD) return undefined;
  return ((bits[i >>> 3]! >>> (i & 7)) & 1) === 1;
}

/** Bitmap bytes [from, from + n) into `out`; bytes past the initialized size read as 0 (free). */
async function readBitmapBytes(
  mft: Mft,
  bitmap: StreamInfo,
  from: number,
  n: number,
  out: Uint8Array,
): Promise<void> {
  out.fill(0);
  const valid = bitmap.nonResident
    ? Math.min(bitmap.dataSize, bitmap.initializedSize)
    : (bitmap.value?.length ?? 0);
  const len = Math.max(0, Math.min(n, valid - from));
  if (len === 0) return;
  if (!bitmap.nonResident) {
    out.set(bitmap.value!.subarray(from, from + len));
    return;
  }
  // A hole in the bitmap would read as "all free": refuse it (allowSparse false).
  await readStream(mft.geo, bitmap.runs, from, len, out, 0, 'DM_ERR_NTFS_BITMAP', '$MFT $BITMAP', false);
}
