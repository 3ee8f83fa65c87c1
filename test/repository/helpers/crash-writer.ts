/**
 * Child process for the crash test: writes restore points in a loop until killed (or `count`
 * points are done), printing `committed <id> <generation>` after each commit.
 * Usage: node --import tsx crash-writer.ts <repo> <password> <first generation> <count>
 */
import { openRepository, openWriter } from '../../../src/repository/index.js';
import { writeDisk } from './backup.js';
import { CRASH_BLOCK, crashDisk } from './crash-disk.js';

const [repoDir, password, firstArg, countArg] = process.argv.slice(2);
const first = Number(firstArg);
const count = Number(countArg);
const repo = await openRepository(repoDir!, { create: true, password: password!, scryptLogN: 10 });
const writer = await openWriter(repo, 'job', { packLimit: 1024 * 1024 });
process.stdout.write('ready\n');
for (let g = first; g < first + count; g++) {
  const disk = crashDisk(g);
  const begin = (type: 'full' | 'incremental') =>
    writer.beginPoint({
      vm: 'vm',
      disk: 0,
      virtualSize: disk.length,
      blockSize: CRASH_BLOCK,
      type,
      changeId: `gen-${g}`,
    });
  // An incremental's parent may come from an earlier (killed) run; with none yet, take a full.
  const p = await begin(g % 3 === 0 ? 'full' : 'incremental').catch((err: { code?: string }) => {
    if (err.code === 'DM_ERR_REPO_POINT_NOT_FOUND') return begin('full');
    throw err;
  });
  const info = await writeDisk(p, disk, CRASH_BLOCK);
  process.stdout.write(`committed ${info.id} ${g}\n`);
}
await writer.close();
process.stdout.write('done\n');
