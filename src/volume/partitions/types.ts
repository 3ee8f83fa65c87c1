/** What the partition-table readers report. Offsets and lengths are disk bytes. */
import type { ByteRange } from '../ranges.js';

export type PartitionScheme = 'mbr' | 'gpt' | 'none';

export interface Partition {
  /** 1-based like Linux partition numbers: MBR primaries 1–4, logicals from 5; GPT entry + 1; 0 = whole disk (superfloppy). */
  readonly index: number;
  readonly offset: number;
  readonly length: number;
  /** MBR: type byte as `0x07`; GPT: type GUID in upper case; superfloppy: `superfloppy`. */
  readonly type: string;
  /** GPT partition name, when set. */
  readonly name?: string;
}

export interface PartitionTable {
  readonly scheme: PartitionScheme;
  readonly partitions: Partition[];
  /** Sectors holding the tables themselves (MBR, EBRs, GPT headers and arrays): never skippable. */
  readonly metadata: ByteRange[];
  readonly warnings: string[];
}

export const BASIC_DATA_GUID = 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7';
