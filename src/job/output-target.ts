/**
 * The one check of an output target (restore -o, convert -o), done before any work starts: the
 * path must not lie inside a repository (DM_ERR_OUTPUT_REFUSED: one wrong -o must not destroy the
 * backups), must not be a link, directory, device, FIFO or socket (DM_ERR_OUTPUT_REFUSED), and must
 * not exist unless `force` (DM_ERR_OUTPUT_EXISTS). The writers re-check when they publish
 * (source/output-file.ts), so a file that appears meanwhile is still not overwritten.
 */
import { dirname, resolve } from 'node:path';
import { dmError } from '../errors.js';
import { repositoryContaining } from '../repository/repo-dir.js';
import { checkOutputPath } from '../source/output-file.js';

export async function checkOutputTarget(out: string, force: boolean): Promise<void> {
  const repo = await repositoryContaining(dirname(resolve(out)));
  if (repo !== undefined)
    throw dmError(
      'DM_ERR_OUTPUT_REFUSED',
      `${out} lies inside the repository ${repo}: writing there could destroy it; choose a path outside`,
      { file: out },
    );
  await checkOutputPath(out, force);
}
