/** The $MFT: its own (possibly fragmented) runlist, record reads, and attribute-list expansion. */
import { dmError } from '../../errors.js';
import { readDisk } from '../bytes.js';
import { expandAttributeList } from './attr-list.js';
import type { BootSector } from './boot-sector.js';
import { gatherRuns } from './extents.js';
import { AttrType, parseRecord } from './record.js';
import type { Attribute, MftRecord } from './record.js';
import type { Run } from './runlist.js';
import { readStream } from './stream.js';
import type { VolumeGeometry } from './stream.js';

/** An attribute gathered across extents (and records): one runlist, sizes from the first extent. */
export interface StreamInfo {
  readonly nonResident: boolean;
  readonly flags: number;
  readonly dataSize: number;
  readonly initializedSize: number;
  readonly allocatedSize: number;
  /** Resident value. */
  readonly value?: Uint8Array;
  /** Non-resident runs, VCN-ordered, holes included (lcn -1). */
  readonly runs: Run[];
}

export class Mft {
  private constructor(
    readonly geo: VolumeGeometry,
    readonly boot: BootSector,
    private runs: Run[],
    private records: number,
  ) {}

  get recordCount(): number {
    return this.records;
  }

  get mftRuns(): readonly Run[] {
    return this.runs;
  }

  /** Reads record 0 at the boot sector's $MFT LCN and assembles the $MFT's own $DATA runlist. */
  static async open(geo: VolumeGeometry, boot: BootSector): Promise<Mft> {
    const rs = boot.mftRecordSize;
    const at = geo.offset + boot.mftLcn * boot.clusterSize;
    const rec0 = parseRecord(
      await readDisk(geo.source, at, rs, 'DM_ERR_NTFS_RECORD', '$MFT record 0'),
      0,
      geo.source.path,
      at,
    );
    if (!rec0.inUse || rec0.baseRecord !== 0) {
      throw dmError('DM_ERR_NTFS_RECORD', '$MFT record 0 is not an in-use base record', {
        file: geo.source.path,
        offset: at,
      });
    }
    // Bootstrap with the extents held in record 0; records named by its attribute list (if any)
    // must be reachable through them.
    const own = rec0.attributes.filter((a) => a.type === AttrType.data && a.name === '');
    const partial = new Mft(
      geo,
      boot,
      gatherRuns(own, boot, geo, 'DM_ERR_NTFS_RUNLIST', '$MFT $DATA', true),
      0,
    );
    partial.records = partial.mappedRecords();
    const all = await partial.expand(rec0);
    const data = await partial.stream(all, AttrType.data, '');
    if (!data || !data.nonResident) {
      throw dmError('DM_ERR_NTFS_RECORD', '$MFT has no non-resident unnamed $DATA', {
        file: geo.source.path,
        offset: at,
      });
    }
    const mft = new Mft(geo, boot, data.runs, 0);
    mft.records = Math.min(Math.floor(data.dataSize / rs), mft.mappedRecords());
    if (mft.records < 16) {
      throw dmError(
        'DM_ERR_NTFS_RECORD',
        `$MFT holds ${mft.records} records, fewer than the 16 system files`,
        {
          file: geo.source.path,
          offset: at,
        },
      );
    }
    return mft;
  }

  /** Records covered by contiguous runs from VCN 0 (no holes in an MFT). */
  private mappedRecords(): number {
    let vcn = 0;
    for (const r of this.runs) {
      if (r.vcn !== vcn || r.lcn < 0) break;
      vcn += r.length;
    }
    return Math.floor((vcn * this.boot.clusterSize) / this.boot.mftRecordSize);
  }

  async readRecord(n: number): Promise<MftRecord> {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.records) {
      throw dmError('DM_ERR_NTFS_RECORD', `MFT record ${n} beyond the $MFT (${this.records} records)`, {
        file: this.geo.source.path,
        field: 'record number',
      });
    }
    const rs = this.boot.mftRecordSize;
    const buf = new Uint8Array(rs);
    await readStream(this.geo, this.runs, n * rs, rs, buf, 0, 'DM_ERR_NTFS_RECORD', `MFT record ${n}`, false);
    return parseRecord(buf, n, this.geo.source.path, this.diskOffsetOf(n));
  }

  /** Disk offset of a record (for messages); -1 if unmapped. */
  diskOffsetOf(n: number): number {
    const cs = this.boot.clusterSize;
    const pos = n * this.boot.mftRecordSize;
    for (const r of this.runs) {
      if (pos < (r.vcn + r.length) * cs && pos >= r.vcn * cs)
        return this.geo.offset + r.lcn * cs + (pos - r.vcn * cs);
    }
    return -1;
  }

  /** A base record's attributes, following its $ATTRIBUTE_LIST into extension records. */
  async attributes(n: number): Promise<{ record: MftRecord; attributes: Attribute[] }> {
    const record = await this.readRecord(n);
    if (!record.inUse) {
      throw dmError('DM_ERR_NTFS_RECORD', `MFT record ${n} is not in use`, {
        file: this.geo.source.path,
        offset: this.diskOffsetOf(n),
      });
    }
    if (record.baseRecord !== 0) {
      throw dmError('DM_ERR_NTFS_RECORD', `MFT record ${n} is an extension of record ${record.baseRecord}`, {
        file: this.geo.source.path,
        offset: this.diskOffsetOf(n),
      });
    }
    return { record, attributes: await this.expand(record) };
  }

  private expand(record: MftRecord): Promise<Attribute[]> {
    return expandAttributeList(this, record);
  }

  /** Gathers one attribute (type + name) from a file's attributes; undefined when absent. */
  async stream(
    attributes: readonly Attribute[],
    type: number,
    name: string,
  ): Promise<StreamInfo | undefined> {
    const parts = attributes.filter((a) => a.type === type && a.name === name);
    if (parts.length === 0) return undefined;
    const first = parts[0]!;
    if (!first.nonResident) {
      if (parts.length > 1) {
        throw dmError(
          'DM_ERR_NTFS_ATTRIBUTE',
          `resident attribute 0x${type.toString(16)} appears ${parts.length} times`,
          {
            file: this.geo.source.path,
          },
        );
      }
      return {
        nonResident: false,
        flags: first.flags,
        dataSize: first.dataSize,
        initializedSize: first.dataSize,
        allocatedSize: first.dataSize,
        value: first.value!,
        runs: [],
      };
    }
    const runs = gatherRuns(
      parts,
      this.boot,
      this.geo,
      'DM_ERR_NTFS_RUNLIST',
      `attribute 0x${type.toString(16)}`,
      false,
    );
    const head = parts.find((p) => p.lowestVcn === 0)!;
    return {
      nonResident: true,
      flags: head.flags,
      dataSize: head.dataSize,
      initializedSize: head.initializedSize,
      allocatedSize: head.allocatedSize,
      runs,
    };
  }
}
