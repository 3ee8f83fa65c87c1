/** The human summary of `datamover backup` (stdout without --json). */
import { formatSize, type BackupResult } from '../index.js';
import { printable } from './printable.js';

/**
 * The stages by busy share, largest first: Veeam's `a > b > c` reads as a ranking, so it is one
 * (`=` between shares that print the same).
 */
function bottleneckLine(b: BackupResult['stats']['bottleneck']): string {
  const stages = (['source', 'proxy', 'network', 'target'] as const)
    .map((name) => ({ name, share: b[name], pct: Math.round(b[name] * 100) }))
    .sort((x, y) => y.share - x.share);
  const ranked = stages
    .map((s, i) => `${i === 0 ? '' : stages[i - 1]!.pct > s.pct ? ' > ' : ' = '}${s.name} ${s.pct}%`)
    .join('');
  return `bottleneck: ${ranked} (primary: ${b.primary})`;
}

/** "dedupe 2.5x, compression 1.8x", or n/a when no new data was stored (the ratios are 0 then). */
function reductionLine(s: BackupResult['stats']): string {
  if (s.dedupeRatio === 0 && s.compressionRatio === 0)
    return 'dedupe n/a, compression n/a (no new data stored)';
  return `dedupe ${s.dedupeRatio}x, compression ${s.compressionRatio}x`;
}

export function humanBackup(r: BackupResult): string {
  const s = r.stats;
  const lines = r.points.map((p) => `point ${p.id}: ${p.vm} disk ${p.disk} (${p.type}) in ${p.backupFile}`);
  lines.push(
    `processed ${formatSize(s.processedBytes)}, read ${formatSize(s.readBytes)}, ` +
      `transferred ${formatSize(s.transferredBytes)}, backup size ${formatSize(s.backupSizeBytes)}`,
    `${reductionLine(s)}, ` +
      `${(s.durationMs / 1000).toFixed(2)} s, processing rate ${formatSize(s.processingRateBytesPerSec)}/s`,
    bottleneckLine(s.bottleneck),
  );
  if (r.bitlooker.enabled)
    lines.push(
      `BitLooker: ${formatSize(r.bitlooker.skippedBytes)} left out (free space, swap, exclusions), ` +
        `${formatSize(r.bitlooker.usedBytes)} in use on NTFS`,
    );
  for (const w of r.warnings) lines.push(`warning: ${printable(w, { keepBackslashes: true })}`);
  return lines.join('\n');
}
