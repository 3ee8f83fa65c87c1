/**
 * openRepository(dir, { create?, password? }): creates or opens a local repository.
 *
 * - `create: true` creates the repository when `dir` has no config (encrypted when a password is
 *   given), else opens it. A repository is created only in a missing or empty directory (one that
 *   holds nothing but another creator's temp config): any other directory without a config is
 *   DM_ERR_REPO_NOT_EMPTY, and nothing is written to it. Without `create`, a missing config is
 *   DM_ERR_REPO_NOT_FOUND. A `dir` that is not a directory (a file, FIFO, device, or a symlink to
 *   one) is DM_ERR_REPO_NOT_FOUND either way; a `config` that is not a regular file is damage
 *   (DM_ERR_REPO_CORRUPT) and is never opened.
 * - An encrypted repository needs the password: none → DM_ERR_CRYPTO_PASSWORD_REQUIRED, a wrong
 *   one → DM_ERR_CRYPTO_PASSWORD. A password for a plain repository is DM_ERR_CRYPTO_NOT_ENCRYPTED
 *   (it is never silently ignored). Opening an existing repository never writes anything.
 */
import { randomBytes } from 'node:crypto';
import { link, stat, unlink } from 'node:fs/promises';
import { dmError, fromSystemError, isDmError } from '../errors.js';
import { toHex } from '../format/bytes.js';
import { KdfId } from '../format/constants.js';
import { configWrapAad, decodeConfig, encodeConfig } from '../format/config.js';
import type { RepoConfig } from '../format/config.js';
import { ensureDir, fsyncDir, writeAtomic } from './fs-util.js';
import { checkCreatable } from './leftovers.js';
import { kindOf } from '../core/regular-file.js';
import { MAX_CONFIG_BYTES, pathKind, readRegularFile } from './safe-fs.js';
import type { RepoHandle } from './handle.js';
import { nodeIo } from './io.js';
import type { RepoIo } from './io.js';
import { deriveKek, newKdfParams, repoKeys, unwrapDataKey, wrapDataKey } from './keys.js';
import type { RepoKeys } from './keys.js';
import { paths } from './layout.js';

export interface OpenRepositoryOptions {
  readonly create?: boolean;
  readonly password?: string;
  /** scrypt cost for a new encrypted repository (log2 N, 10..22, default 17). Tests use less. */
  readonly scryptLogN?: number;
  /** File I/O the writers use; tests inject faults here. */
  readonly io?: RepoIo;
  readonly now?: () => number;
}

export interface Repository extends RepoHandle {
  readonly createdMs: number;
}

async function readConfig(dir: string): Promise<RepoConfig | undefined> {
  const file = paths.config(dir);
  const bytes = await readRegularFile(file, MAX_CONFIG_BYTES, 'config');
  return bytes && decodeConfig(new Uint8Array(bytes), file);
}

/** `dir` must be a directory (or a symlink to one), or missing when `create` may make it. */
async function checkRepoDir(dir: string, create: boolean): Promise<void> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Missing: created, unless it is a dangling symlink (creating would write where it leads).
    if (code === 'ENOENT' && create && (await pathKind(dir)) === 'missing') return;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP')
      throw dmError('DM_ERR_REPO_NOT_FOUND', 'no repository here (no such directory)', { file: dir });
    throw fromSystemError(err, 'read', dir);
  }
  if (!st.isDirectory())
    throw dmError('DM_ERR_REPO_NOT_FOUND', `no repository here: this is a ${kindOf(st)}, not a directory`, {
      file: dir,
    });
}

/**
 * Writes a new config. Returns its data key when this call created the repository (the key was
 * just wrapped with a freshly derived KEK: deriving it again to unlock would double the KDF's
 * cost, 0.44 s at the default scrypt cost), undefined for a plain repository or when another
 * creator won the race (then the caller opens theirs).
 */
async function createConfig(
  dir: string,
  opts: OpenRepositoryOptions,
  now: number,
): Promise<{ readonly cfg: RepoConfig; readonly dataKey: Uint8Array | undefined } | undefined> {
  const encrypted = opts.password !== undefined;
  const zero = (n: number) => new Uint8Array(n);
  let cfg: RepoConfig = {
    version: 1,
    encrypted,
    repoId: randomBytes(16),
    createdMs: now,
    kdf: encrypted ? newKdfParams(opts.scryptLogN) : { id: KdfId.none, p1: 0, p2: 0, p3: 0, salt: zero(32) },
    wrapNonce: zero(12),
    wrappedKey: zero(32),
    wrapTag: zero(16),
  };
  let dataKey: Uint8Array | undefined;
  if (encrypted) {
    const kek = await deriveKek(opts.password!, cfg.kdf, paths.config(dir));
    dataKey = randomBytes(32);
    const w = wrapDataKey(kek, configWrapAad(cfg), dataKey);
    kek.fill(0);
    cfg = { ...cfg, wrapNonce: w.nonce, wrappedKey: w.wrapped, wrapTag: w.tag };
  }
  await ensureDir(dir);
  const io = opts.io ?? nodeIo;
  // Unique per call: two creators in one process must not share a temp file either.
  const tmp = `${paths.config(dir)}.tmp-${process.pid}.${randomBytes(4).toString('hex')}`;
  // Written aside, then linked: link fails if another creator won, and we open theirs instead.
  await writeAtomic(io, `${tmp}-w`, tmp, encodeConfig(cfg), dir);
  try {
    await link(tmp, paths.config(dir));
    await fsyncDir(dir);
    return { cfg, dataKey };
  } catch (err) {
    dataKey?.fill(0);
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw fromSystemError(err, 'write', paths.config(dir));
    return undefined;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function unlockKeys(
  cfg: RepoConfig,
  dir: string,
  password: string | undefined,
): Promise<RepoKeys | undefined> {
  if (!cfg.encrypted) return undefined;
  const file = paths.config(dir);
  if (password === undefined)
    throw dmError('DM_ERR_CRYPTO_PASSWORD_REQUIRED', 'the repository is encrypted: give its password', {
      file,
    });
  const kek = await deriveKek(password, cfg.kdf, file);
  const dataKey = unwrapDataKey(kek, configWrapAad(cfg), cfg.wrapNonce, cfg.wrappedKey, cfg.wrapTag, file);
  const keys = repoKeys(dataKey);
  dataKey.fill(0);
  return keys;
}

export async function openRepository(dir: string, opts: OpenRepositoryOptions = {}): Promise<Repository> {
  const now = opts.now ?? Date.now;
  await checkRepoDir(dir, opts.create === true);
  let cfg = await readConfig(dir);
  let created: Awaited<ReturnType<typeof createConfig>>;
  if (!cfg && opts.create) {
    await checkCreatable(dir);
    created = await createConfig(dir, opts, now());
    cfg = created?.cfg ?? (await readConfig(dir));
  }
  if (!cfg) throw dmError('DM_ERR_REPO_NOT_FOUND', 'no repository here (no config file)', { file: dir });
  if (!cfg.encrypted && opts.password !== undefined)
    throw dmError(
      'DM_ERR_CRYPTO_NOT_ENCRYPTED',
      'a password was given, but this repository is not encrypted: its data is stored unencrypted; omit the password to use it',
      { file: paths.config(dir) },
    );
  let keys: RepoKeys | undefined;
  try {
    if (created?.dataKey) {
      keys = repoKeys(created.dataKey);
      created.dataKey.fill(0);
    } else keys = await unlockKeys(cfg, dir, opts.password);
  } catch (err) {
    if (isDmError(err)) throw err;
    throw dmError('DM_ERR_INTERNAL', 'unlocking the repository failed', { file: dir });
  }
  return {
    dir,
    encrypted: cfg.encrypted,
    repoId: toHex(cfg.repoId),
    createdMs: cfg.createdMs,
    keys,
    io: opts.io ?? nodeIo,
    now,
  };
}
