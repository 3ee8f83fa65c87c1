/**
 * BitLooker end to end against the peers (design.md §5, first bar): the default 4 GiB `fixtures`
 * guest disk (VHDX, GPT + NTFS with documents, media, duplicates, pagefile/hiberfil and stale data
 * in free space), backed up in one run by
 *   - datamover, default settings (BitLooker on, optimal = LZ4, 1 MiB blocks), unencrypted and
 *     encrypted (password file; the scrypt key derivation is part of the measured time),
 *   - restic (`restic backup FILE`, fresh repo, RESTIC_PASSWORD: encrypted, zstd auto),
 *   - borg (`borg create --compression lz4`, fresh repo, `-e none` and `-e repokey`),
 * each from the page cache into a fresh repository, under `/usr/bin/time -v` (wall, peak RSS).
 *
 *   node --import tsx bench/bitlooker-backup.ts [--runs 3] [--warmup 1] [--order tool|round|paired] [--size 4GiB] [--seed 1]
 *        [--no-build] [--skip borg-repokey] [--keep-ca-certs] [--no-pin]
 *
 * datamover runs as the compiled CLI (built into bench/out/bl-dist unless --no-build), as users run
 * it. The disk is generated once and cached in os.tmpdir()/dm-bitlooker-bench.
 *
 * Order: `tool` (default) runs each tool's runs back to back; `round` runs every tool once per
 * round. Why it matters here: this VM reports freed memory to its host (virtio-balloon free page
 * reporting), so a run that follows a large free (the previous tool's repository deleted, its
 * process gone) first-touches pages the host must back again. datamover's kernel time for the
 * same work went from ~0.9 s to 1.7–1.8 s in the run after a borg backup (2026-12-02, perf: the
 * page-cache copy of its writes 4–5× slower), a fixed ~0.8 s that is a third of its run and a tenth
 * of borg's. With `tool`, each tool's median is taken in its own steady state, and each tool first
 * gets --warmup runs that are shown but left out of the medians (hyperfine's --warmup): a tool's
 * first run still paid for the previous tool's freed memory (datamover 2.1–2.2 s against 1.4–1.5
 * for the runs after it, 2026-12-02 and 12-04).
 *
 * `paired` combines both: rounds that interleave the tools, so the machine's drift over the bench
 * (10–30 % within an hour here) falls on every tool alike, and before each measured run the same
 * tool's --warmup runs, so no measured run follows another tool's free. It reports each round's
 * ratios and their medians beside the medians of the walls. It takes about twice as long.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../src/core/size.js';
import { generateDisk } from '../src/fixtures/index.js';
import type { DiskManifest } from '../src/fixtures/index.js';
import { MiB, OUT, arg, measureCommand, pinImage, warm, type Measured } from './backup-bench-util.js';
import { report } from './bitlooker-report.js';

const runs = Math.max(1, Number(arg('runs', '3')));
const warmup = Math.max(0, Number(arg('warmup', '1')));
const order = arg('order', 'tool');
if (order !== 'tool' && order !== 'round' && order !== 'paired')
  throw new Error(`--order is tool, round or paired, got ${order}`);
const size = parseSize(arg('size', '4GiB'));
const seed = Number(arg('seed', '1'));
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const CACHE = join(tmpdir(), 'dm-bitlooker-bench');
const DIST = join(OUT, 'bl-dist');

/** The fixture disk and its manifest, generated on first use. */
async function fixtureDisk(): Promise<{ image: string; manifest: DiskManifest }> {
  mkdirSync(CACHE, { recursive: true });
  const image = join(CACHE, `guest-${size / MiB}MiB-s${seed}.vhdx`);
  const manifestPath = `${image}.json`;
  if (!existsSync(image) || !existsSync(manifestPath)) {
    console.error(`generating ${image} ...`);
    const m = await generateDisk({ out: `${image}.part`, seed, diskSize: size, format: 'vhdx' });
    renameSync(`${image}.part`, image);
    writeFileSync(manifestPath, JSON.stringify({ ...m, path: image }));
  }
  return { image, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as DiskManifest };
}

/** Builds the CLI as `npm run build` does (scripts/bundle.mjs) into bench/out/bl-dist (under the repo: node_modules resolve). */
function build(): string {
  const cli = join(DIST, 'cli', 'main.js');
  if (process.argv.includes('--no-build') && existsSync(cli)) return cli;
  console.error('building the CLI into bench/out/bl-dist ...');
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', DIST], { stdio: 'pipe' });
  if (!existsSync(cli)) throw new Error('the CLI did not build');
  return cli;
}

interface Contender {
  readonly name: string;
  /** Prepares a fresh repository (untimed) and returns the timed command. */
  readonly prepare: (repo: string) => { cmd: string; args: string[] };
}

/**
 * NODE_EXTRA_CA_CERTS is cleared for every contender (none makes a TLS connection) unless
 * --keep-ca-certs: this sandbox sets it to the whole 220 KB system CA bundle, which Node parses
 * before running any code, ~37 ms of every datamover start here (`node -e 0`: 74 ms with it, 37
 * without). A user's shell does not normally set it.
 */
const keepCaCerts = process.argv.includes('--keep-ca-certs');
const env: NodeJS.ProcessEnv = {
  ...(keepCaCerts ? {} : { NODE_EXTRA_CA_CERTS: undefined }),
  RESTIC_PASSWORD: 'bench',
  BORG_PASSPHRASE: 'bench',
  BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
};
const quiet = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { stdio: 'ignore', env: { ...process.env, ...env } });

function contenders(cli: string, image: string, passwordFile: string): Contender[] {
  const all: Contender[] = [
    {
      name: 'datamover',
      prepare: (repo) => ({
        cmd: process.execPath,
        args: [cli, 'backup', '--repo', repo, '--disk', image, '--json'],
      }),
    },
    {
      name: 'datamover-encrypted',
      prepare: (repo) => ({
        cmd: process.execPath,
        args: [cli, 'backup', '--repo', repo, '--disk', image, '--password-file', passwordFile, '--json'],
      }),
    },
    {
      name: 'restic',
      prepare: (repo) => {
        quiet('restic', ['init', '--repo', repo]);
        return { cmd: 'restic', args: ['backup', '--repo', repo, '--quiet', image] };
      },
    },
    {
      name: 'borg-none',
      prepare: (repo) => {
        quiet('borg', ['init', '-e', 'none', repo]);
        return { cmd: 'borg', args: ['create', '--compression', 'lz4', `${repo}::a`, image] };
      },
    },
    {
      name: 'borg-repokey',
      prepare: (repo) => {
        quiet('borg', ['init', '-e', 'repokey', repo]);
        return { cmd: 'borg', args: ['create', '--compression', 'lz4', `${repo}::a`, image] };
      },
    },
  ];
  return all.filter((c) => !skip.has(c.name));
}

async function main(): Promise<void> {
  const { image, manifest } = await fixtureDisk();
  const cli = build();
  const cache = pinImage(image);
  const work = join(OUT, 'bitlooker-bench');
  mkdirSync(work, { recursive: true });
  const passwordFile = join(work, 'password');
  writeFileSync(passwordFile, 'bench-password\n');
  const list = contenders(cli, image, passwordFile);
  const results = new Map<string, Measured[]>(list.map((c) => [c.name, []]));
  const loads: number[] = [];
  // Run -1..-warmup are warm-up runs: measured like the others, reported, left out of the medians.
  const first = -warmup;
  const warmups = (c: Contender): [Contender, number][] =>
    Array.from({ length: warmup }, (): [Contender, number] => [c, -1]);
  const schedule: [Contender, number][] =
    order === 'tool'
      ? list.flatMap((c) =>
          Array.from({ length: runs + warmup }, (_, i): [Contender, number] => [c, first + i]),
        )
      : order === 'round'
        ? Array.from({ length: runs + warmup }, (_, i) =>
            list.map((c): [Contender, number] => [c, first + i]),
          ).flat()
        : Array.from({ length: runs }, (_, i) =>
            list.flatMap((c): [Contender, number][] => [...warmups(c), [c, i]]),
          ).flat();
  for (const [c, run] of schedule) {
    const repo = join(work, `repo-${c.name}`);
    rmSync(repo, { recursive: true, force: true });
    const { cmd, args } = c.prepare(repo);
    warm(image);
    loads.push(loadavg()[0]!);
    const m = measureCommand(cmd, args, env);
    if (run >= 0) results.get(c.name)!.push(m);
    console.error(
      `${run >= 0 ? `run ${run + 1}/${runs}` : 'warm-up'} ${c.name}: ${(m.wallMs / 1000).toFixed(2)} s, CPU ${m.cpuS.toFixed(1)} s, peak RSS ${m.peakRssMiB} MiB`,
    );
    rmSync(repo, { recursive: true, force: true });
  }
  report({
    image,
    manifest,
    results,
    loads,
    cache,
    order,
    runs,
    warmup,
    caCerts: keepCaCerts
      ? `kept (${process.env['NODE_EXTRA_CA_CERTS'] ?? 'unset'})`
      : 'cleared for every tool',
  });
}

await main();
