/**
 * verifyRepository: the health check. Reads the config, every manifest, and every frame of every
 * referenced pack up to its committed length: checksums, decryption, decompression and a re-hash
 * against the identity. Returns a report; it throws only when it cannot start (no password).
 * Bytes past a pack's committed length are crash leftovers (warnings, cleaned by the next writer).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ErrorCode } from '../errors.js';
import { fromSystemError, isDmError } from '../errors.js';
import { PACK_HEADER_SIZE } from './format/constants.js';
import { decodeConfig } from './format/config.js';
import { loadPoints, listBackupFiles } from './catalog.js';
import { listDir } from './fs-util.js';
import type { RepoHandle } from './handle.js';
import { packKey, parsePackName, parsePointName, paths } from './layout.js';
import { checkFrame, decodeFrame } from './blob-open.js';
import { ParallelOpener, choosePool } from './parallel-open.js';
import type { DecodeOptions } from './parallel-open.js';
import { PackReader } from './pack-reader.js';

export interface VerifyProblem {
  readonly file: string;
  readonly code: ErrorCode;
  readonly message: string;
}

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

function problemOf(file: string, err: unknown): VerifyProblem {
  if (isDmError(err)) return { file, code: err.code, message: err.message };
  return { file, code: 'DM_ERR_INTERNAL', message: String(err) };
}

/** Decoding can run on worker threads (DecodeOptions). */
export type VerifyOptions = DecodeOptions;

export async function verifyRepository(repo: RepoHandle, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  const damaged = new Set<string>();
  let frames = 0;
  let bytes = 0;
  let packCount = 0;
  try {
    decodeConfig(new Uint8Array(await readFile(paths.config(repo.dir))), paths.config(repo.dir));
  } catch (err) {
    problems.push(problemOf(paths.config(repo.dir), fromSystemError(err, 'read', paths.config(repo.dir))));
  }
  const points = await loadPoints(repo, {
    onDamaged: (file, err) => {
      problems.push(problemOf(file, err));
      damaged.add(parsePointName(basename(file)) ?? file);
    },
  });
  const maxBlock = points.reduce((m, p) => Math.max(m, p.manifest.blockSize), 0);
  const { pool, owned } = maxBlock > 0 ? choosePool(opts) : { pool: undefined, owned: false };
  let currentFile = '';
  const opener = pool ? new ParallelOpener(pool, maxBlock, () => currentFile) : undefined;
  try {
    for (const bf of await listBackupFiles(repo)) {
      const mine = points.filter((p) => p.backupFile === bf);
      // Committed extent of each pack, and which frames (pack key → offset → points) are referenced.
      const extent = new Map<string, number>();
      const refs = new Map<string, Map<number, { identity: Uint8Array; points: Set<string> }>>();
      for (const p of mine) {
        const keys = p.manifest.packs.map((pk) => packKey(pk.sessionId, pk.seq));
        p.manifest.packs.forEach((pk, i) =>
          extent.set(keys[i]!, Math.max(extent.get(keys[i]!) ?? 0, pk.validLength)),
        );
        for (const b of p.manifest.blobs) {
          const byOffset = refs.get(keys[b.pack]!) ?? new Map();
          refs.set(keys[b.pack]!, byOffset);
          const r = byOffset.get(b.offset) ?? { identity: b.identity, points: new Set<string>() };
          r.points.add(p.id);
          byOffset.set(b.offset, r);
        }
      }
      const onDisk = new Set((await listDir(paths.packs(repo.dir, bf))).map((n) => parsePackName(n)?.key));
      for (const key of onDisk)
        if (key && !extent.has(key))
          warnings.push(`${bf}: pack ${key} is referenced by no point (crash leftover)`);
      for (const [key, end] of extent) {
        packCount++;
        const file = paths.pack(repo.dir, bf, key);
        const wanted = refs.get(key) ?? new Map();
        const markAll = () => wanted.forEach((r) => r.points.forEach((id: string) => damaged.add(id)));
        if (!onDisk.has(key)) {
          problems.push({ file, code: 'DM_ERR_REPO_CORRUPT', message: 'pack is missing' });
          markAll();
          continue;
        }
        let reader: PackReader;
        try {
          reader = await PackReader.open(file);
        } catch (err) {
          problems.push(problemOf(file, err));
          markAll();
          continue;
        }
        try {
          if ((await stat(file)).size > end) warnings.push(`${bf}: pack ${key} has an uncommitted tail`);
          const keys = {
            blobKey:
              repo.keys && reader.header.encrypted ? repo.keys.deriveBlobKey(reader.header.salt) : undefined,
            identityKey: repo.keys?.identityKey,
          };
          const seen = new Set<number>();
          // Scan from the header; after a damaged frame header, resume at the next referenced frame.
          const resumeAt = [...wanted.keys()].sort((a, b) => a - b);
          let from = PACK_HEADER_SIZE;
          while (from < end) {
            let failedAt = -1;
            try {
              currentFile = file;
              await reader.scanFrames(from, end, async (f) => {
                failedAt = f.offset;
                const r = wanted.get(f.offset);
                const fail = (err: unknown) => {
                  problems.push(problemOf(file, err));
                  r?.points.forEach((id: string) => damaged.add(id));
                };
                frames++;
                seen.add(f.offset);
                failedAt = -1;
                try {
                  checkFrame(f, keys, file, { expected: r?.identity, full: true });
                  if (opener?.fits(f)) {
                    await opener.push(f, keys, (raw) => void (bytes += raw.length), fail);
                    return;
                  }
                  bytes += decodeFrame(f, keys, file, true).length;
                } catch (err) {
                  fail(err);
                }
              });
              break;
            } catch (err) {
              problems.push(problemOf(file, err));
              const next = resumeAt.find((o) => o > Math.max(from, failedAt) && !seen.has(o));
              if (next === undefined) break;
              from = next;
            }
          }
          for (const [offset, r] of wanted)
            if (!seen.has(offset)) {
              r.points.forEach((id: string) => damaged.add(id));
              problems.push({
                file,
                code: 'DM_ERR_REPO_CORRUPT',
                message: `no readable frame at offset ${offset}`,
              });
            }
        } finally {
          await opener?.flush();
          await reader.close();
        }
      }
    }
  } finally {
    await opener?.flush().catch(() => undefined);
    if (owned) await pool?.close();
  }
  return {
    ok: problems.length === 0,
    points: points.length,
    packs: packCount,
    frames,
    bytes,
    damagedPoints: [...damaged].sort(),
    problems,
    warnings,
  };
}
