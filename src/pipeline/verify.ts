/**
 * verifyRepository: the health check. Reads the config, every manifest, and every frame of every
 * referenced pack up to its committed length: checksums, decryption, decompression and a re-hash
 * against the identity. Returns a report; it throws only when it cannot start (no password) or is
 * aborted. Bytes past a pack's committed length are crash leftovers (warnings, cleaned by the next
 * writer). Packs are checked on worker threads by default (verify-parallel.ts), with `threads: 0`
 * on the main thread (repository/verify-pack.ts); the report is the same either way.
 */
import { decodeConfig } from '../format/config.js';
import { listBackupFiles, scanPoints } from '../repository/catalog.js';
import type { LoadedPoint } from '../repository/catalog.js';
import { repairAdvice } from '../repository/damaged-points.js';
import type { RepoHandle } from '../repository/handle.js';
import { packKey, parsePackName, paths } from '../repository/layout.js';
import { isRealDir, listEntries, readRegularFile } from '../repository/safe-fs.js';
import { choosePool } from './parallel-open.js';
import type { DecodeOptions } from './parallel-open.js';
import { checkPacksOnWorkers } from './verify-parallel.js';
import { checkPackOnMainThread, problemOf } from '../repository/verify-pack.js';
import { dmError } from '../errors.js';
import type { FrameRefs, PackOutcome, PackToCheck, VerifyProblem } from '../repository/verify-pack.js';

export type { VerifyProblem } from '../repository/verify-pack.js';

export interface VerifyReport {
  readonly ok: boolean;
  readonly points: number;
  readonly packs: number;
  readonly frames: number;
  /** Uncompressed bytes checked. */
  readonly bytes: number;
  /** Ids of points that cannot be restored bit-exact. */
  readonly damagedPoints: string[];
  readonly problems: VerifyProblem[];
  readonly warnings: string[];
}

/** Decoding can run on worker threads (DecodeOptions). */
export type VerifyOptions = DecodeOptions;

/** A pack that is referenced but not on disk: its outcome without reading it. */
function missing(pack: PackToCheck): PackOutcome {
  const damaged = new Set<string>();
  pack.wanted.forEach((r) => r.points.forEach((id) => damaged.add(id)));
  const problems: VerifyProblem[] = [
    { file: pack.file, code: 'DM_ERR_REPO_CORRUPT', message: 'pack is missing' },
  ];
  return { frames: 0, bytes: 0, problems, damaged, warnings: [] };
}

/** The referenced packs of one backup file, with their committed ends and referenced frames. */
async function packsOf(repo: RepoHandle, bf: string, mine: LoadedPoint[], warnings: string[]) {
  const extent = new Map<string, number>();
  const refs = new Map<string, Map<number, FrameRefs>>();
  for (const p of mine) {
    const keys = p.manifest.packs.map((pk) => packKey(pk.sessionId, pk.seq));
    p.manifest.packs.forEach((pk, i) =>
      extent.set(keys[i]!, Math.max(extent.get(keys[i]!) ?? 0, pk.validLength)),
    );
    for (const b of p.manifest.blobs) {
      const byOffset = refs.get(keys[b.pack]!) ?? new Map<number, FrameRefs>();
      refs.set(keys[b.pack]!, byOffset);
      const r = byOffset.get(b.offset) ?? { identity: b.identity, points: new Set<string>() };
      r.points.add(p.id);
      byOffset.set(b.offset, r);
    }
  }
  const packDir = paths.packs(repo.dir, bf);
  // A packs directory that is a symlink is not followed: its packs count as missing (damage).
  const listed = (await isRealDir(packDir, 'packs directory').catch(() => false))
    ? await listEntries(packDir)
    : [];
  const onDisk = new Set(listed.map((e) => parsePackName(e.name)?.key));
  for (const key of onDisk)
    if (key && !extent.has(key))
      warnings.push(`${bf}: pack ${key} is referenced by no point (crash leftover)`);
  return [...extent].map(([key, end]) => ({
    onDisk: onDisk.has(key),
    pack: {
      file: paths.pack(repo.dir, bf, key),
      end,
      wanted: refs.get(key) ?? new Map<number, FrameRefs>(),
      tailWarning: `${bf}: pack ${key} has an uncommitted tail`,
    },
  }));
}

export async function verifyRepository(repo: RepoHandle, opts: VerifyOptions = {}): Promise<VerifyReport> {
  // The threads boot while the config and manifests load.
  const { pool, owned } = choosePool(opts);
  try {
    const problems: VerifyProblem[] = [];
    const warnings: string[] = [];
    const damaged = new Set<string>();
    const config = paths.config(repo.dir);
    try {
      const bytes = await readRegularFile(config, 64 * 1024, 'config');
      if (!bytes) throw dmError('DM_ERR_REPO_NOT_FOUND', 'the config vanished', { file: config });
      decodeConfig(new Uint8Array(bytes), config);
    } catch (err) {
      problems.push(problemOf(config, err));
    }
    const scan = await scanPoints(repo);
    for (const d of scan.damaged) {
      problems.push({ file: d.file, code: d.code, message: d.message, repair: repairAdvice(d) });
      damaged.add(d.id ?? d.file);
    }
    const points = scan.points;
    const all: { onDisk: boolean; pack: PackToCheck }[] = [];
    // A `files` that is not a real directory was reported by the scan above: nothing to check.
    const backupFiles = await listBackupFiles(repo).catch(() => [] as string[]);
    for (const bf of backupFiles)
      all.push(
        ...(await packsOf(
          repo,
          bf,
          points.filter((p) => p.backupFile === bf),
          warnings,
        )),
      );
    const present = all.filter((p) => p.onDisk).map((p) => p.pack);
    let checked: PackOutcome[];
    if (pool) checked = await checkPacksOnWorkers(repo, present, pool, opts.signal);
    else {
      checked = [];
      for (const pack of present) checked.push(await checkPackOnMainThread(repo, pack, opts.signal));
    }
    let frames = 0;
    let bytes = 0;
    for (const { onDisk, pack } of all) {
      const out = onDisk ? checked.shift()! : missing(pack);
      frames += out.frames;
      bytes += out.bytes;
      problems.push(...out.problems);
      warnings.push(...out.warnings);
      out.damaged.forEach((id) => damaged.add(id));
    }
    return {
      ok: problems.length === 0,
      points: points.length,
      packs: all.length,
      frames,
      bytes,
      damagedPoints: [...damaged].sort(),
      problems,
      warnings,
    };
  } finally {
    if (owned) await pool?.close();
  }
}
