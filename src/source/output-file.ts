/**
 * Output files of restore and convert: never overwrite, rename over or unlink what the command did
 * not create.
 *
 * - checkOutputPath: before any work, the target must be missing (in an existing directory) or,
 *   with `force`, an existing regular file. Symlinks, directories, devices, FIFOs and sockets are
 *   refused (DM_ERR_OUTPUT_REFUSED); an existing file without force is DM_ERR_OUTPUT_EXISTS.
 * - OutputTemp: the bytes go to a temp file in the output's directory, created with O_EXCL (it
 *   never truncates an existing file), named `.<name>.partial-<pid>-<host>-<random>` (host: 8 hex
 *   of a hash of the host name; random: 8 hex). `publish` links it to
 *   the output (no clobber: a file that appeared meanwhile is not replaced) or, with force, renames
 *   it over a file that is still regular; `discard` unlinks only the temp this process created.
 * - Leftovers of killed runs: `prepare` removes temps of the same output that are regular files,
 *   owned by this user, named by the pattern above with this host's tag (or by the older
 *   `.<name>.partial-<pid>`), whose pid is no longer alive. The host tag keeps a run on another
 *   machine (or container) that shares the directory from losing its temp to a pid check here.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { link, lstat, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isAlive } from '../core/process-alive.js';
import { fileKind } from '../core/regular-file.js';
import { dmError, fromSystemError } from '../errors.js';

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw fromSystemError(err, 'open', path);
  }
}

function refuseKind(out: string, st: Stats): never {
  const why = st.isSymbolicLink()
    ? 'outputs are never written through a link; give the real path'
    : 'the output must be a regular file';
  throw dmError('DM_ERR_OUTPUT_REFUSED', `${out} is ${fileKind(st)}: ${why}`, { file: out });
}

/** Refuses what must not be written (see the file comment); a missing directory is DM_ERR_IO_OPEN. */
export async function checkOutputPath(out: string, force: boolean): Promise<void> {
  if (/[/\\]$/.test(out))
    throw dmError('DM_ERR_OUTPUT_REFUSED', `${out} names a directory: the output must be a file`, {
      file: out,
    });
  let st: Stats | undefined;
  try {
    st = await lstatOrUndefined(out);
  } catch (err) {
    throw errnoOf((err as Error).cause) === 'ENOTDIR'
      ? dmError('DM_ERR_IO_OPEN', `cannot create ${out}: a part of its directory is not a directory`, {
          file: out,
        })
      : err;
  }
  if (st === undefined) {
    const dir = dirname(out);
    const d = await stat(dir).catch(() => undefined);
    if (!d?.isDirectory())
      throw dmError('DM_ERR_IO_OPEN', `cannot create ${out}: the directory ${dir} does not exist`, {
        file: out,
      });
    return;
  }
  if (!st.isFile()) refuseKind(out, st);
  if (!force)
    throw dmError('DM_ERR_OUTPUT_EXISTS', `${out} exists; --force replaces it`, {
      file: out,
    });
}

/** Temp names: `.<name>.partial-` (a long name is hashed so the temp name stays short). */
function tempPrefix(out: string): string {
  const name = basename(out);
  const short = Buffer.byteLength(name) <= 200 ? name : createHash('sha256').update(name).digest('hex');
  return `.${short}.partial-`;
}

/** `<pid>-<host>-<random>`, or the older `<pid>` alone. */
const TEMP_SUFFIX_RE = /^(\d{1,10})(?:-([0-9a-f]{8})-[0-9a-f]{8})?$/;

/** 8 hex of a hash of this host's name: temps of other hosts sharing a directory are not ours. */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/**
 * Removes temps of `out` left by killed runs: same name pattern (`.<name>.partial-<pid>` as older
 * versions named them, or `…-<pid>-<this host's tag>-<8 hex>`), a pid that is not this process and
 * no longer alive, a regular file owned by this user. Returns the paths removed. Never throws.
 */
export async function removeStaleTemps(out: string): Promise<string[]> {
  const dir = dirname(out);
  const prefix = tempPrefix(out);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TEMP_SUFFIX_RE.exec(name.slice(prefix.length));
    if (!m || (m[2] !== undefined && m[2] !== HOST_TAG)) continue;
    const pid = Number(m[1]);
    if (pid < 2 || pid === process.pid || isAlive(pid)) continue;
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile() || (uid !== undefined && st.uid !== uid)) continue;
    try {
      await unlink(path);
      removed.push(path);
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
  return removed;
}

/** Hard links unsupported here (some FUSE / network / FAT file systems): fall back to check-and-rename. */
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

export class OutputTemp {
  private state: 'new' | 'created' | 'published' | 'discarded' = 'new';

  private constructor(
    readonly out: string,
    readonly path: string,
    readonly force: boolean,
    /** Leftovers of killed runs this call removed. */
    readonly removedLeftovers: readonly string[],
  ) {}

  /** Removes leftovers of killed runs of the same output and picks a fresh temp name. */
  static async prepare(out: string, force: boolean): Promise<OutputTemp> {
    const removed = await removeStaleTemps(out);
    const suffix = `${process.pid}-${HOST_TAG}-${randomBytes(4).toString('hex')}`;
    const path = join(dirname(out), `${tempPrefix(out)}${suffix}`);
    return new OutputTemp(out, path, force, removed);
  }

  /** Creates the temp (O_EXCL, never an existing file) and returns its handle. */
  async create(mode: 'wx' | 'wx+' = 'wx') {
    try {
      const fh = await open(this.path, mode);
      this.state = 'created';
      return fh;
    } catch (err) {
      throw fromSystemError(err, 'open', this.path);
    }
  }

  /** For writers that create the file themselves (exclusively): marks the temp as this command's. */
  created(): void {
    this.state = 'created';
  }

  /** Puts the closed temp in place of the output (no clobber without force; see the file comment). */
  async publish(): Promise<void> {
    if (this.state !== 'created') throw dmError('DM_ERR_INTERNAL', 'publish of a temp not created');
    try {
      await link(this.path, this.out);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'EEXIST') return this.replaceExisting();
      if (code !== undefined && NO_LINK.has(code)) return this.renameIfAllowed();
      throw fromSystemError(err, 'write', this.out);
    }
    this.state = 'published';
    // The output is in place; a temp name that fails to go is a second link, removed by a later run.
    await unlink(this.path).catch(() => undefined);
    await syncDir(dirname(this.out));
  }

  private async replaceExisting(): Promise<void> {
    const st = await lstatOrUndefined(this.out);
    if (st && !this.force) {
      await this.discard();
      throw dmError(
        'DM_ERR_OUTPUT_EXISTS',
        `${this.out} appeared while this command ran; it was left alone`,
        {
          file: this.out,
        },
      );
    }
    return this.renameIfAllowed(st);
  }

  private async renameIfAllowed(known?: Stats): Promise<void> {
    const st = known ?? (await lstatOrUndefined(this.out));
    if (st && !this.force) {
      await this.discard();
      throw dmError('DM_ERR_OUTPUT_EXISTS', `${this.out} exists; --force replaces it`, { file: this.out });
    }
    if (st && !st.isFile()) {
      await this.discard();
      refuseKind(this.out, st);
    }
    try {
      await rename(this.path, this.out);
    } catch (err) {
      throw fromSystemError(err, 'write', this.out);
    }
    this.state = 'published';
    await syncDir(dirname(this.out));
  }

  /** Unlinks the temp if this command created it and did not publish it; safe to call twice. */
  async discard(): Promise<void> {
    if (this.state !== 'created') return;
    this.state = 'discarded';
    await unlink(this.path).catch(() => undefined);
  }
}

/** fsync a directory so the new name survives a crash; best effort (some file systems refuse). */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not every file system syncs directories
  }
}
