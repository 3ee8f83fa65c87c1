/**
 * The human backup summary (issue 14, item 14): the bottleneck line is a ranking, largest share
 * first (`=` between shares that print the same), and ratios that are not defined (0: nothing new
 * stored) print as n/a instead of "0x".
 */
import { describe, expect, it } from 'vitest';
import { humanBackup } from '../../src/cli/backup-report.js';
import type { BackupResult } from '../../src/index.js';

function result(stats: Partial<BackupResult['stats']>): BackupResult {
  return {
    job: 'backup',
    points: [{ id: '0123456789abcdef', vm: 'vm', disk: 0, type: 'incremental', backupFile: 'backup' }],
    stats: {
      processedBytes: 1,
      readBytes: 1,
      transferredBytes: 1,
      backupSizeBytes: 1,
      dedupeRatio: 2,
      compressionRatio: 1.5,
      durationMs: 1,
      processingRateBytesPerSec: 1,
      bottleneck: { source: 0.15, proxy: 0.25, network: 0.1, target: 0.5, primary: 'target' },
      blocks: { total: 1, read: 1, zero: 0, skipped: 0, duplicate: 0, stored: 1 },
      ...stats,
    },
    tasks: [],
    warnings: [],
    bitlooker: { enabled: false } as BackupResult['bitlooker'],
  };
}

const line = (text: string, start: string) => text.split('\n').find((l) => l.startsWith(start));

describe('humanBackup', () => {
  it('ranks the stages by share, largest first (the HC sample order is not a ranking)', () => {
    expect(line(humanBackup(result({})), 'bottleneck:')).toBe(
      'bottleneck: target 50% > proxy 25% > source 15% > network 10% (primary: target)',
    );
  });

  it('uses = between shares that print the same, and the primary comes first', () => {
    const b = { source: 0.404, proxy: 0.396, network: 0, target: 0, primary: 'source' as const };
    expect(line(humanBackup(result({ bottleneck: b })), 'bottleneck:')).toBe(
      'bottleneck: source 40% = proxy 40% > network 0% = target 0% (primary: source)',
    );
  });

  it('prints ratios, or n/a when nothing new was stored', () => {
    expect(humanBackup(result({}))).toContain('dedupe 2x, compression 1.5x,');
    const none = humanBackup(result({ dedupeRatio: 0, compressionRatio: 0, transferredBytes: 0 }));
    expect(none).toContain('dedupe n/a, compression n/a (no new data stored),');
    expect(none).not.toMatch(/ 0x/);
  });
});
