import type { Command } from 'commander';
import { DmError, formatSize, points, readPasswordFile } from '../../index.js';
import type { PointsResult } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { printable } from '../printable.js';
import { abortOnSignals } from '../progress.js';

/** One line per point; every name and path is escaped (printable.ts), so no line can be forged. */
function humanListing(r: PointsResult): string {
  if (r.points.length === 0 && r.damaged.length === 0) return 'no restore points';
  const lines = r.points.map(
    (p) =>
      `${p.id}  ${p.time}  ${printable(p.vm)} disk ${p.disk}  ${printable(p.type)}  ` +
      `${formatSize(p.virtualSize)} virtual, ${formatSize(p.stats.storedBytes)} stored  [${printable(p.backupFile)}]`,
  );
  if (r.points.length === 0) lines.push('no intact restore points');
  for (const d of r.damaged) {
    const claim = d.claimed
      ? `  (unverified: ${printable(d.claimed.vm)} disk ${d.claimed.disk}, ${d.claimed.time})`
      : '';
    const where = d.backupFile !== undefined ? `  [${printable(d.backupFile)}]` : '';
    lines.push(`${d.id ?? '-'.repeat(16)}  DAMAGED  ${d.code}: ${printable(d.message)}${where}${claim}`);
    lines.push(`    file: ${printable(d.file)}`);
    lines.push(`    repair: ${printable(d.repair)}`);
  }
  return lines.join('\n');
}

export function registerPoints(program: Command): void {
  program
    .command('points')
    .description('list restore points (id, vm, disk, type, time, sizes) and damaged ones')
    .requiredOption('--repo <dir>', 'repository directory')
    .option('--password-file <file>', 'password of an encrypted repository (manifests are encrypted)')
    .option('--json', 'print one JSON document')
    .action(async (flags: { repo: string; passwordFile?: string; json?: boolean }) => {
      try {
        const password = readPasswordFile(flags.passwordFile);
        const r = await points({
          repo: flags.repo,
          ...(password !== undefined ? { password } : {}),
          signal: abortOnSignals(),
        });
        printResult(!!flags.json, r, () => humanListing(r));
        // Listed first, then the exit status says it: a damaged point is never just omitted.
        if (r.damaged.length > 0)
          throw new DmError(
            'DM_ERR_REPO_POINT_DAMAGED',
            `${r.damaged.length} restore point(s) are damaged (listed above); run verify for details`,
          );
      } catch (err) {
        failAndExit(err);
      }
    });
}
