/**
 * What BitLooker does with the $MFT cross-check (ntfs/claims.ts): in-use data the $Bitmap marks free,
 * or an in-use record that cannot be read, makes the whole volume untrusted (thrown, so it is read
 * whole); clusters an excluded file shares with other in-use data are taken out of the exclusion.
 */
import { dmError } from '../errors.js';
import type { ResolvedExclusion } from './exclusions.js';
import type { ClaimReport } from './ntfs/claims.js';
import type { Mft } from './ntfs/mft.js';
import { describeRecord } from './ntfs/record-path.js';
import { subtract, totalLength } from './ranges.js';

/** Files named in a message; the rest are counted. */
const NAMED = 3;

/**
 * Warns about records the $MFT $BITMAP and their headers disagree on (all were checked as in use);
 * then throws DM_ERR_NTFS_BITMAP naming the files (record number and path) whose clusters the
 * $Bitmap marks free, or DM_ERR_NTFS_RECORD naming an in-use record that could not be checked.
 */
export async function claimVerdict(mft: Mft, c: ClaimReport, warnings: string[]): Promise<void> {
  const file = mft.geo.source.path;
  if (c.headerOnly + c.bitmapOnly > 0) {
    warnings.push(
      `$MFT $BITMAP and record headers disagree on ${c.headerOnly + c.bitmapOnly} record(s) ` +
        `(${c.headerOnly} in use by header only, ${c.bitmapOnly} by $BITMAP only): all kept as in use`,
    );
  }
  if (c.freeClaimFiles > 0) {
    const named: string[] = [];
    for (const t of c.freeClaims.slice(0, NAMED))
      named.push(
        `${await describeRecord(mft, t.record)}: ${t.clusters} cluster${t.clusters === 1 ? '' : 's'}`,
      );
    const more = c.freeClaimFiles - named.length;
    throw dmError(
      'DM_ERR_NTFS_BITMAP',
      `$Bitmap marks ${c.freeClaimClusters} in-use cluster${c.freeClaimClusters === 1 ? '' : 's'} of ` +
        `${c.freeClaimFiles} file${c.freeClaimFiles === 1 ? '' : 's'} free (${named.join('; ')}` +
        `${more > 0 ? `; ${more} more` : ''})`,
      { file, field: '$Bitmap' },
    );
  }
  if (c.unreadableCount > 0) {
    const first = c.unreadable[0]!;
    throw dmError(
      'DM_ERR_NTFS_RECORD',
      `${c.unreadableCount} in-use MFT record${c.unreadableCount === 1 ? '' : 's'} cannot be checked ` +
        `against $Bitmap (first: record ${first.record}: ${first.message})`,
      { file, offset: mft.diskOffsetOf(first.record), field: 'MFT record' },
    );
  }
}

/** Exclusions without the clusters other in-use data also claims; a warning per exclusion cut. */
export function keepCrossLinked(
  exclusions: readonly ResolvedExclusion[],
  c: ClaimReport,
  warnings: string[],
): ResolvedExclusion[] {
  if (c.crossLinkOverflow) {
    if (exclusions.length > 0)
      warnings.push(
        'too many clusters of excluded files are shared with other in-use data: nothing excluded',
      );
    return [];
  }
  if (c.crossLinked.length === 0) return [...exclusions];
  return exclusions.map((e) => {
    const clusters = subtract(e.clusters, c.crossLinked);
    const shared = totalLength(e.clusters) - totalLength(clusters);
    if (shared > 0)
      warnings.push(
        `exclusion "${e.path}": ${shared} cluster${shared === 1 ? '' : 's'} also belong to other in-use data (cross-linked): kept`,
      );
    return { ...e, clusters };
  });
}
