/**
 * Is this a repository? A repository directory holds a regular file `config` that starts with the
 * config magic ("DMREPO\r\n", docs/repository-format.md §3). Used to refuse output targets that
 * lie anywhere inside a repository (restore -o, convert -o): one wrong path must not destroy it.
 */
import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CONFIG_MAGIC } from '../format/constants.js';
import { paths } from './layout.js';
import { MAX_CONFIG_BYTES, readRegularFile } from './safe-fs.js';

/** True when `dir` holds a `config` regular file that starts with the repository config magic. */
export async function isRepositoryDir(dir: string): Promise<boolean> {
  try {
    // Never blocks or follows: a FIFO, device or symlink named `config` is not opened (safe-fs.ts).
    const head = await readRegularFile(paths.config(dir), MAX_CONFIG_BYTES, 'config');
    return (
      head !== undefined && head.length >= CONFIG_MAGIC.length && CONFIG_MAGIC.every((b, i) => head[i] === b)
    );
  } catch {
    return false;
  }
}

/**
 * The repository directory that contains `dir` (itself or an ancestor), walking up from the real
 * path of its nearest existing ancestor (symlinked directories are resolved, so a link cannot hide
 * a repository); undefined when none does.
 */
export async function repositoryContaining(dir: string): Promise<string | undefined> {
  let at = resolve(dir);
  for (;;) {
    try {
      at = await realpath(at);
      break;
    } catch {
      const up = dirname(at);
      if (up === at) return undefined;
      at = up;
    }
  }
  for (;;) {
    if (await isRepositoryDir(at)) return at;
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}
