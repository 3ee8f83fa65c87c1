import type { Command } from 'commander';
import { formatSize, inspect, type InspectResult } from '../../index.js';
import { failAndExit, printResult } from '../output.js';
import { IMAGE_FORMATS, parseChoice } from './parse.js';
import { printable } from '../printable.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'format, geometry, block states, allocation, parent chain, partitions and NTFS volumes of an image',
    )
    .argument('<image>', 'VHDX or raw disk image')
    .option('--format <format>', 'auto | vhdx | raw: how to read the image (default auto: by content)')
    .option('--exclude <guestPath...>', 'guest paths to report as excluded (as backup --exclude would)')
    .option('--json', 'print one JSON document')
    .action(async (image: string, opts: { json?: boolean; exclude?: string[]; format?: string }) => {
      try {
        const result = await inspect(image, {
          ...(opts.exclude ? { exclude: opts.exclude } : {}),
          ...(opts.format !== undefined
            ? { format: parseChoice(opts.format, IMAGE_FORMATS, '--format') }
            : {}),
        });
        printResult(!!opts.json, result, () => humanInspect(result));
      } catch (err) {
        failAndExit(err);
      }
    });
}

function humanInspect(r: InspectResult): string {
  const lines = [
    `image:         ${r.image}`,
    `format:        ${r.format}${r.subformat ? ` (${r.subformat})` : ''}`,
    `virtual size:  ${formatSize(r.virtualSize)} (${r.virtualSize} bytes)`,
  ];
  if (r.blockSize !== undefined) lines.push(`block size:    ${formatSize(r.blockSize)}`);
  lines.push(`sectors:       logical ${r.logicalSectorSize}, physical ${r.physicalSectorSize}`);
  if (r.blockStates) {
    const s = r.blockStates;
    lines.push(
      `block states:  fully present ${s.fullyPresent}, partially present ${s.partiallyPresent}, ` +
        `not present ${s.notPresent}, zero ${s.zero}, unmapped ${s.unmapped}, undefined ${s.undefined}`,
    );
  }
  const a = r.allocation;
  lines.push(
    `allocation:    present ${formatSize(a.present)}, zero ${formatSize(a.zero)}, absent ${formatSize(a.absent)}`,
  );
  if (r.parentChain.length) lines.push(`parent chain:  ${r.parentChain.join(' -> ')}`);
  if (r.volumes) {
    lines.push(`partitions:    ${r.volumes.scheme}, ${r.volumes.partitions.length}`);
    for (const p of r.volumes.partitions)
      lines.push(
        `  #${p.index} at ${p.offset}, ${formatSize(p.length)}, ${p.type}${p.name ? ` "${printable(p.name)}"` : ''}`,
      );
    for (const v of r.volumes.volumes) {
      lines.push(
        `volume #${v.partitionIndex}: ${v.kind} ${v.status}` +
          (v.kind === 'ntfs'
            ? `, cluster ${v.clusterSize}, ${v.clustersInUse}/${v.totalClusters} clusters in use` +
              (v.version ? `, NTFS ${v.version}` : '')
            : ''),
      );
      for (const e of v.excluded)
        lines.push(
          `  excluded ${printable(e.path, { keepBackslashes: true })}: ${formatSize(e.bytes)} in ${e.extents.length} extent(s)`,
        );
    }
  }
  for (const w of r.warnings) lines.push(`warning: ${printable(w, { keepBackslashes: true })}`);
  return lines.join('\n');
}
