/**
 * A writer session on one backup file (the dedup scope): the one writer of a running job, or of
 * one VM with per-VM backup files. It holds the backup file's lock, owns a random session id and
 * salt (blob key = HKDF(dataKey, salt)), hands out nonces from a per-session counter, appends
 * frames to its own packs, and knows every blob of the backup file's committed points (dedup).
 *
 * On open it cleans up after crashed writers: temp manifests are deleted, packs no committed point
 * references are deleted, pack tails past the last committed byte are truncated; lock and config
 * temp files of dead runs are removed (leftovers.ts). Only regular files are ever deleted or
 * truncated. While the backup file holds a damaged manifest, packs are neither deleted nor
 * truncated: the damaged point may reference them, and it is not this writer's to destroy. Damaged
 * manifests are never trusted (the dedup index holds intact points' blobs only) and never block.
 * Several points (disks) may be written at once through one session; each commits on its own.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { lstat, truncate, unlink } from 'node:fs/promises';
import { dmError } from '../errors.js';
import { nonceFromCounter } from '../compute/cipher/aes-gcm.js';
import { POINT_MAGIC, POINT_VERSION } from '../format/constants.js';
import { encodeManifest } from '../format/manifest.js';
import type { PointManifest } from '../format/manifest.js';
import { pointInfo, scanPoints } from './catalog.js';
import type { LoadedPoint, PointInfo } from './catalog.js';
import type { DamagedPoint } from './damaged-points.js';
import { ensureRealDir, fsyncDir, writeAtomic } from './fs-util.js';
import { removeDeadConfigTemps, removeDeadLockTemps } from './leftovers.js';
import { listEntries } from './safe-fs.js';
import type { RepoHandle } from './handle.js';
import { acquireLock } from './lock.js';
import type { HeldLock } from './lock.js';
import { checkBackupFileName, packKey, parsePackName, paths } from './layout.js';
import { sealMetadata } from './metadata.js';
import { PackAppender } from './pack-appender.js';
import type { AppendedFrame } from './pack-appender.js';

/** A stored blob as the dedup index knows it. */
export interface BlobLocation {
  readonly packKey: string;
  readonly offset: number;
  readonly frameLength: number;
  readonly identity: Uint8Array;
}

export interface PackInfo {
  readonly sessionId: Uint8Array;
  readonly seq: number;
  validLength: number;
}

export interface SessionOptions {
  /** Roll over to a new pack file after this many bytes. Default 1 GiB. */
  readonly packLimit?: number;
}

const DEFAULT_PACK_LIMIT = 1024 * 1024 * 1024;
/** `paths.tempPoint`: `.tmp-<point id>-<pid>`. */
const POINT_TEMP_RE = /^\.tmp-[0-9a-f]{16}-\d{1,10}$/;

export function identityKeyOf(identity: Uint8Array): string {
  return Buffer.from(identity.buffer, identity.byteOffset, identity.byteLength).toString('latin1');
}

export class WriterSession {
  readonly sessionId = randomBytes(8);
  readonly blobKey: Uint8Array | undefined;
  readonly identityKey: Uint8Array | undefined;
  readonly appender: PackAppender;
  /** Committed points of this backup file, by id (grows as this session commits). */
  readonly points = new Map<string, LoadedPoint>();
  readonly packInfo = new Map<string, PackInfo>();
  /** Damaged manifests of this backup file (never trusted: no parent, no dedup source). */
  damaged: readonly DamagedPoint[] = [];
  #index = new Map<string, BlobLocation>();
  #nonce = 0;
  #committed = 0;
  #open = 0;
  #closed = false;

  private constructor(
    readonly repo: RepoHandle,
    readonly backupFile: string,
    private readonly lock: HeldLock,
    opts: SessionOptions,
  ) {
    const salt = repo.keys ? randomBytes(32) : new Uint8Array(32);
    this.blobKey = repo.keys?.deriveBlobKey(salt);
    this.identityKey = repo.keys?.identityKey;
    this.appender = new PackAppender(
      repo.io,
      paths.packs(repo.dir, backupFile),
      (key) => paths.pack(repo.dir, backupFile, key),
      { sessionId: this.sessionId, salt, encrypted: !!repo.keys, createdMs: repo.now() },
      opts.packLimit ?? DEFAULT_PACK_LIMIT,
    );
  }

  static async open(repo: RepoHandle, backupFile: string, opts: SessionOptions = {}): Promise<WriterSession> {
    checkBackupFileName(backupFile);
    await ensureRealDir(paths.files(repo.dir), 'files directory');
    await ensureRealDir(paths.backupFile(repo.dir, backupFile), 'backup file directory');
    await ensureRealDir(paths.packs(repo.dir, backupFile), 'packs directory');
    await ensureRealDir(paths.points(repo.dir, backupFile), 'points directory');
    const lock = await acquireLock(paths.lock(repo.dir, backupFile), `backup file ${backupFile}`);
    try {
      const session = new WriterSession(repo, backupFile, lock, opts);
      await session.#load();
      await session.#cleanUp();
      await removeDeadLockTemps(paths.backupFile(repo.dir, backupFile));
      await removeDeadConfigTemps(repo.dir);
      return session;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** The next nonce of this session: workers seal with it; never reused under the session's key. */
  nextNonce(): Uint8Array {
    return nonceFromCounter(this.#nonce++);
  }

  has(identity: Uint8Array): boolean {
    return this.#index.has(identityKeyOf(identity));
  }

  lookup(identity: Uint8Array): BlobLocation | undefined {
    return this.#index.get(identityKeyOf(identity));
  }

  /** Blobs the backup file holds (committed points and this session's appends so far). */
  get blobCount(): number {
    return this.#index.size;
  }

  /** Their identities. */
  *identities(): Generator<Uint8Array> {
    for (const loc of this.#index.values()) yield loc.identity;
  }

  /** Appends a frame and indexes it at once, so concurrent points dedup against it too. */
  append(
    identity: Uint8Array,
    header: Uint8Array,
    payload: Uint8Array,
  ): AppendedFrame & { loc: BlobLocation } {
    const frame = this.appender.append(header, payload);
    const loc = { packKey: frame.packKey, offset: frame.offset, frameLength: frame.frameLength, identity };
    this.#index.set(identityKeyOf(identity), loc);
    return { ...frame, loc };
  }

  pointStarted(): void {
    this.checkOpen();
    this.#open++;
  }

  pointEnded(): void {
    this.#open--;
  }

  checkOpen(): void {
    if (this.#closed) throw dmError('DM_ERR_ARG_INVALID', 'the writer is closed');
    this.appender.checkUsable();
  }

  /** Makes packs durable, then the manifest: temp name, fsync, rename, fsync directory. */
  async commitPoint(build: () => PointManifest, id: string): Promise<PointInfo> {
    await this.appender.flush();
    for (const p of this.appender.packs()) {
      const parsed = parsePackName(`${p.key}.pack`)!;
      this.packInfo.set(p.key, { sessionId: parsed.sessionId, seq: p.seq, validLength: p.durable });
    }
    const manifest = build();
    const bytes = sealMetadata(POINT_MAGIC, POINT_VERSION, encodeManifest(manifest), this.repo.keys);
    const dir = paths.points(this.repo.dir, this.backupFile);
    try {
      await writeAtomic(
        this.repo.io,
        paths.tempPoint(this.repo.dir, this.backupFile, id),
        paths.point(this.repo.dir, this.backupFile, id),
        bytes,
        dir,
      );
    } catch (err) {
      this.appender.poison(err);
      throw err;
    }
    this.points.set(id, { backupFile: this.backupFile, id, manifest });
    this.#committed++;
    return pointInfo(manifest);
  }

  /** Waits for writes, releases the lock. Packs of a session that committed nothing are deleted. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.appender.close();
    if (this.#committed === 0)
      for (const p of this.appender.packs())
        await unlink(paths.pack(this.repo.dir, this.backupFile, p.key)).catch(() => undefined);
    await this.lock.release();
  }

  get openPoints(): number {
    return this.#open;
  }

  async #load(): Promise<void> {
    const { points, damaged } = await scanPoints(this.repo, { backupFile: this.backupFile });
    this.damaged = damaged;
    for (const p of points) {
      this.points.set(p.id, p);
      const m = p.manifest;
      const keys = m.packs.map((pk) => packKey(pk.sessionId, pk.seq));
      m.packs.forEach((pk, i) => {
        const info = this.packInfo.get(keys[i]!);
        if (!info)
          this.packInfo.set(keys[i]!, { sessionId: pk.sessionId, seq: pk.seq, validLength: pk.validLength });
        else info.validLength = Math.max(info.validLength, pk.validLength);
      });
      for (const b of m.blobs)
        this.#index.set(identityKeyOf(b.identity), {
          packKey: keys[b.pack]!,
          offset: b.offset,
          frameLength: b.frameLength,
          identity: b.identity,
        });
    }
  }

  async #cleanUp(): Promise<void> {
    const pointsDir = paths.points(this.repo.dir, this.backupFile);
    for (const e of await listEntries(pointsDir))
      if (POINT_TEMP_RE.test(e.name) && e.kind === 'regular file')
        await unlink(join(pointsDir, e.name)).catch(() => undefined);
    if (this.damaged.length > 0) return;
    const packDir = paths.packs(this.repo.dir, this.backupFile);
    let changed = false;
    for (const e of await listEntries(packDir)) {
      const parsed = parsePackName(e.name);
      if (!parsed || e.kind !== 'regular file') continue;
      const path = paths.pack(this.repo.dir, this.backupFile, parsed.key);
      const info = this.packInfo.get(parsed.key);
      if (!info) {
        await unlink(path).catch(() => undefined);
        changed = true;
      } else {
        const st = await lstat(path).catch(() => undefined);
        if (st?.isFile() && st.size > info.validLength) {
          await truncate(path, info.validLength);
          changed = true;
        }
      }
    }
    if (changed) await fsyncDir(packDir);
  }
}
