/** Assembling one non-resident attribute's runlist from its extents (possibly in several records). */
import { dmError } from '../../errors.js';
import type { BootSector } from './boot-sector.js';
import type { Attribute } from './record.js';
import { decodeRunlist } from './runlist.js';
import type { Run } from './runlist.js';
import type { VolumeGeometry } from './stream.js';

/**
 * Decodes the extents of one non-resident attribute and checks they chain: the first starts at VCN 0,
 * each next one starts right after the previous one's highest VCN. `partial` allows a gap after the
 * first chain (the $MFT bootstrap sees only record 0's extents).
 */
export function gatherRuns(
  parts: readonly Attribute[],
  boot: BootSector,
  geo: VolumeGeometry,
  code: 'DM_ERR_NTFS_RUNLIST',
  what: string,
  partial: boolean,
): Run[] {
  const fail = (msg: string): never => {
    throw dmError(code, `${what}: ${msg}`, { file: geo.source.path, field: what });
  };
  if (parts.some((p) => !p.nonResident)) fail('mixes resident and non-resident extents');
  const sorted = [...parts].sort((a, b) => a.lowestVcn - b.lowestVcn);
  if (sorted.length === 0 || sorted[0]!.lowestVcn !== 0) fail('no extent starts at VCN 0');
  const runs: Run[] = [];
  let next = 0;
  for (const p of sorted) {
    if (p.lowestVcn !== next) {
      if (partial) break;
      fail(`extent starts at VCN ${p.lowestVcn}, expected ${next}`);
    }
    runs.push(
      ...decodeRunlist(p.mappingPairs!, p.lowestVcn, p.highestVcn, boot.totalClusters, {
        file: geo.source.path,
        field: what,
      }),
    );
    next = p.highestVcn + 1;
    if (p.highestVcn === -1) break;
  }
  return runs;
}
