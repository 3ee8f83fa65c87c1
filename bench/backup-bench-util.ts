/** Shared by the backup benchmarks: the test image, stage timing, command timing. */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildDictionaries } from '../src/fixtures/content/dictionary.js';
import { contentStream } from '../src/fixtures/content/kinds.js';
import { createVhdx } from '../src/source/vhdx/writer/vhdx-writer.js';
import type { BackupStats } from '../src/index.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const OUT = join(import.meta.dirname, 'out');

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/**
 * A dynamic VHDX of unique mixed-compressibility data ('program' content: binary and text
 * dictionary slices with random runs), every block allocated: nothing to skip. Cached in bench/out.
 */
export async function mixedImage(size: number, seed = 7): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, `mixed-${size / MiB}MiB-s${seed}.vhdx`);
  if (existsSync(path) && statSync(path).size > size) return path;
  const w = await createVhdx(path, { virtualSize: size });
  const stream = contentStream('program', seed, 'bench-disk', buildDictionaries(seed));
  const buf = new Uint8Array(8 * MiB);
  for (let at = 0; at < size; at += buf.length) {
    const piece = buf.subarray(0, Math.min(buf.length, size - at));
    stream.fill(piece);
    await w.write(piece, at);
  }
  await w.close();
  return path;
}

/**
 * Every contender starts from the same state: the image in the page cache, and no dirty data of
 * an earlier run left for the kernel to write back (`sync` first). Measured, the sync changed
 * nothing visible (2026-12-02: datamover 2.07–2.46 s on the default fixtures disk in the
 * bitlooker bench with it, 2.4–3.2 s before it, 1.2–1.7 s run by hand the same hour); it removes
 * one reason a run could depend on the one before.
 */
export function warm(path: string): void {
  spawnSync('sync', [], { stdio: 'inherit' });
  spawnSync('cat', [path], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Locks `path` in the page cache (`vmtouch -d -l -w`, which mlocks a mapping of the whole file)
 * until this process exits; returns undefined, or why it could not (vmtouch missing, or the mlock
 * refused: a non-root user's RLIMIT_MEMLOCK is usually 8 MiB).
 *
 * Why: warm() alone does not keep a file cached on this VM. A DAMON daemon (kdamond, configured in
 * /sys/kernel/mm/damon/admin) pages out unmapped file pages of regions idle for 60 s at up to
 * 128 MiB/s, and it drops freshly read pages within seconds: 4 s after `cat` read the 4 GiB fixture
 * disk, 263 MiB of it was still resident (fincore, 2026-12-04). Each run then read a random share
 * from the virtual disk. Mapped pages are exempt from that scheme, so a locked mapping makes "read
 * from the page cache" true for every tool alike. Measured back to back, datamover's fixtures
 * backup took 1.68–2.14 s (kernel CPU 0.74–1.17 s) unpinned and 1.54–1.73 s (0.61–0.80 s) pinned;
 * borg, CPU-bound, 13.3–14.6 s unpinned and 14.5–15.0 s pinned, within the machine's noise.
 */
function pinInPageCache(path: string): string | undefined {
  const pidFile = join(tmpdir(), `dm-bench-vmtouch-${process.pid}.pid`);
  // stderr to a file, not a pipe: the daemon keeps the descriptor, and spawnSync would wait for it.
  const errFile = `${pidFile}.err`;
  const err = openSync(errFile, 'w');
  const r = spawnSync('vmtouch', ['-d', '-l', '-w', '-q', '-m', '1024G', '-P', pidFile, path], {
    stdio: ['ignore', 'ignore', err],
  });
  closeSync(err);
  const message = readFileSync(errFile, 'utf8').trim();
  rmSync(errFile, { force: true });
  if (r.error) return 'vmtouch not found (apt-get install vmtouch)';
  // e.g. "mlock: ... (Cannot allocate memory)" when RLIMIT_MEMLOCK is below the image (non-root).
  if (r.status !== 0 || !existsSync(pidFile))
    return `vmtouch could not lock the image: ${message || `exit ${r.status}`} (ulimit -l?)`;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  process.once('exit', () => {
    try {
      process.kill(pid);
    } catch {
      // already gone
    }
    rmSync(pidFile, { force: true });
  });
  return undefined;
}

/**
 * Pins the bench image for the rest of the process (see pinInPageCache) unless --no-pin; says on
 * stderr what it did and returns a label for the report.
 */
export function pinImage(path: string): string {
  if (process.argv.includes('--no-pin')) {
    console.error('page cache: image not pinned (--no-pin)');
    return 'not pinned (--no-pin)';
  }
  const failed = pinInPageCache(path);
  if (failed === undefined) {
    console.error(`page cache: ${path} locked in memory (vmtouch -l) until the bench exits`);
    return 'pinned in the page cache (vmtouch -l)';
  }
  console.error(`page cache: ${failed}; warming only, pages may be evicted`);
  return `not pinned (${failed})`;
}

/** Wall time of a command (ms); throws when it fails. */
export function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
  return ms;
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mbps(bytes: number, ms: number): number {
  return Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
}

/** CPU milliseconds of the whole process (all threads) since `from`. */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

/**
 * Wall and CPU time of one stage. CPU time is what the floor should be built from on a shared
 * machine: wall time of a single thread stretches with other people's load, CPU time does not.
 */
export class Stopwatch {
  ms = 0;
  cpuMs = 0;
  time<T>(fn: () => T): T {
    const t = performance.now();
    const c = process.cpuUsage();
    const r = fn();
    this.cpuMs += cpuMsSince(c);
    this.ms += performance.now() - t;
    return r;
  }
  async timeAsync<T>(fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    const c = process.cpuUsage();
    const r = await fn();
    this.cpuMs += cpuMsSince(c);
    this.ms += performance.now() - t;
    return r;
  }
}

const BACKUP_CHILD = join(import.meta.dirname, 'backup-child.mjs');

/**
 * One library backup() in a fresh plain-JS process on dist/ (npm run build first): wall and CPU
 * around the call, and the job's statistics. `options` is backup()'s options object.
 */
export function runBackupChild(options: object): { wallMs: number; cpuMs: number; stats: BackupStats } {
  const r = spawnSync(process.execPath, [BACKUP_CHILD, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`backup child failed with status ${r.status}`);
  return JSON.parse(r.stdout.toString()) as { wallMs: number; cpuMs: number; stats: BackupStats };
}

export interface Measured {
  readonly wallMs: number;
  /** User + system CPU seconds. */
  readonly cpuS: number;
  readonly peakRssMiB: number;
  readonly stdout: string;
}

/** Runs a command under `/usr/bin/time -v`: wall time, CPU time and peak RSS; throws when it fails. */
export function measureCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Measured {
  // A key given as undefined is removed from the child's environment.
  const childEnv = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined),
  );
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
    env: childEnv,
  });
  const wallMs = performance.now() - t;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const num = (re: RegExp) => Number(re.exec(r.stderr)?.[1] ?? NaN);
  return {
    wallMs,
    cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    peakRssMiB: Math.round(num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024),
    stdout: r.stdout,
  };
}

/** The compiled CLI (npm run build first). */
export const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
