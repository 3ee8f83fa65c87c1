/**
 * Is this a repository? A repository directory holds a regular file `config` that starts with the
 * config magic ("DMREPO\r\n", docs/repository-format.md §3). Used to refuse output targets that
 * lie anywhere inside a repository (restore -o, convert -o): one wrong path must not destroy it.
 */
import { lstat, open, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CONFIG_MAGIC } from '../format/constants.js';
import { paths } from './layout.js';

/** True when `dir` holds a `config` regular file that starts with the repository config magic. */
export async function isRepositoryDir(dir: string): Promise<boolean> {
  const file = paths.config(dir);
  try {
    // lstat first: a FIFO or device named `config` is never opened (opening a FIFO blocks).
    if (!(await lstat(file)).isFile()) return false;
    const fh = await open(file, 'r');
    try {
      const head = new Uint8Array(CONFIG_MAGIC.length);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      return bytesRead === head.length && head.every((b, i) => b === CONFIG_MAGIC[i]);
    } finally {
      await fh.close();
    }
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
