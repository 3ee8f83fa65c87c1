/**
 * Writes golden facts for a fixture volume from ntfs-3g's own view (used by make.sh). Arguments after
 * the commands are file paths (runlists from ntfsinfo) or `dir:PATH` (entry count from ntfsls).
 */
import { ntfsDataRuns, ntfsDirCount, ntfsVolumeFacts } from '../../test/volume/helpers/ntfs3g.js';

const [image, sector, commands, ...args] = process.argv.slice(2);
if (!image || !sector || !commands) throw new Error('usage: facts.ts IMAGE SECTOR COMMANDS [dir:]PATH...');
const vol = ntfsVolumeFacts(image);
const dirs = args.filter((a) => a.startsWith('dir:')).map((a) => a.slice(4));
const paths = args.filter((a) => !a.startsWith('dir:'));
// Runs as compact [vcn, lcn, length] triples (lcn -1 = hole), one file per line.
const files = paths.map(
  (p) =>
    `    ${JSON.stringify(p)}: ${JSON.stringify(ntfsDataRuns(image, p).map((r) => [r.vcn, r.lcn, r.length]))}`,
);
const head = JSON.stringify(
  {
    source: 'ntfs-3g ntfsinfo -m / ntfsinfo -v -F / ntfsls',
    commands,
    logicalSectorSize: Number(sector),
    ...vol,
    dirEntries: Object.fromEntries(dirs.map((d) => [d, ntfsDirCount(image, d)])),
  },
  null,
  2,
);
process.stdout.write(`${head.slice(0, -2)},\n  "files": {\n${files.join(',\n')}\n  }\n}\n`);
