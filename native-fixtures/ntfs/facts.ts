/** Writes golden facts for a fixture volume from ntfs-3g's own view (used by make.sh). */
import { ntfsDataRuns, ntfsVolumeFacts } from '../../test/volume/helpers/ntfs3g.js';

const [image, sector, commands, ...paths] = process.argv.slice(2);
if (!image || !sector || !commands) throw new Error('usage: facts.ts IMAGE SECTOR COMMANDS PATH...');
const vol = ntfsVolumeFacts(image);
// Runs as compact [vcn, lcn, length] triples (lcn -1 = hole), one file per line.
const files = paths.map(
  (p) =>
    `    ${JSON.stringify(p)}: ${JSON.stringify(ntfsDataRuns(image, p).map((r) => [r.vcn, r.lcn, r.length]))}`,
);
const head = JSON.stringify(
  { source: 'ntfs-3g ntfsinfo -m / ntfsinfo -v -F', commands, logicalSectorSize: Number(sector), ...vol },
  null,
  2,
);
process.stdout.write(`${head.slice(0, -2)},\n  "files": {\n${files.join(',\n')}\n  }\n}\n`);
