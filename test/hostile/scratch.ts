/**
 * Scratch helpers of the hostile-path suite: special files made in a temp directory (never the real
 * /dev), the built CLI run as a child with a time limit (a hang fails instead of stalling the run),
 * and fingerprints that show a path was left exactly as it was.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export interface Scratch {
  readonly dir: string;
  cleanup(): Promise<void>;
}

export async function scratch(prefix = 'dm-hostile-'): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface CliRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The DM_ERR_* code the CLI printed first on stderr, if any. */
  readonly code: string | undefined;
}

/** Runs the built CLI (`npm test` builds dist/ first); killed after `timeoutMs`, so hangs fail. */
export function runCli(args: readonly string[], opts: { timeoutMs?: number; cwd?: string } = {}): CliRun {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  const code = /^(DM_ERR_[A-Z0-9_]+):/m.exec(r.stderr ?? '')?.[1];
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', code };
}

export type SpecialKind = 'chardev' | 'fifo' | 'symlink' | 'directory' | 'dangling-symlink';

/**
 * Special files in `dir`: a character device equal to /dev/null (root only: mknod), a FIFO, a
 * symlink to `target`, a dangling symlink and a directory. Returns the kinds it could make.
 */
export async function makeSpecials(dir: string, target: string): Promise<Map<SpecialKind, string>> {
  const out = new Map<SpecialKind, string>();
  await mkdir(dir, { recursive: true });
  const fifo = join(dir, 'fifo');
  if (spawnSync('mkfifo', [fifo]).status === 0) out.set('fifo', fifo);
  if (isRoot) {
    const dev = join(dir, 'chardev');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status === 0) out.set('chardev', dev);
  }
  const link = join(dir, 'symlink');
  await symlink(target, link);
  out.set('symlink', link);
  const dangling = join(dir, 'dangling-symlink');
  await symlink(join(dir, 'nowhere'), dangling);
  out.set('dangling-symlink', dangling);
  const sub = join(dir, 'directory');
  await mkdir(sub);
  await writeFile(join(sub, 'keep'), 'keep');
  out.set('directory', sub);
  return out;
}

/**
 * What a path is, exactly: type, mode, device number, size and (regular files) a content hash; for
 * a directory, every entry below it. Equal fingerprints mean the command left the path alone.
 */
export function fingerprint(path: string): string {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'missing';
  }
  const head = `${st.mode.toString(8)}:${st.rdev}:${st.ino}`;
  if (st.isFile())
    return `${head}:${st.size}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  if (st.isDirectory())
    return `${head}:{${readdirSync(path)
      .sort()
      .map((n) => `${n}=${fingerprint(join(path, n))}`)
      .join(',')}}`;
  return head;
}
