/**
 * PointWriter: builds one restore point (one disk of one VM) inside a writer session.
 *
 * Every block of the disk ends up as a blob reference, `zero` or `skipped`. A full point starts
 * with every block `zero` (unallocated); an incremental starts as a copy of its parent's map
 * (PBS-style), so blocks the change map says are unchanged need no call at all. Nothing is
 * visible to readers until `commit()` has made the packs and then the manifest durable.
 */
import { randomBytes } from 'node:crypto';
import type { SealedBlob } from '../core/blob.js';
import { dmError } from '../errors.js';
import { BLOCK_SKIPPED, BLOCK_ZERO, FRAME_HEADER_SIZE } from '../format/constants.js';
import type { PointType } from '../format/constants.js';
import { frameHeaderFor } from './blob-frame-header.js';
import { toHex } from '../format/bytes.js';
import { blockCountFor } from '../format/manifest.js';
import type { BlobEntry, PackRef, PointManifest, PointStats } from '../format/manifest.js';
import type { PointInfo } from './catalog.js';
import { packKey } from './layout.js';
import { identityKeyOf } from './session.js';
import type { BlobLocation, WriterSession } from './session.js';

export interface BeginPointOptions {
  readonly vm: string;
  readonly disk: number;
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly type: 'full' | 'incremental';
  /** Id of the change map this point was taken with (design.md §3.3). */
  readonly changeId?: string;
  /** Parent point id (hex) for an incremental; default: the latest point of this vm/disk. */
  readonly parent?: string;
}

/** What the pipeline counted; the writer fills in what it knows itself. */
export interface CommitStats {
  readonly processedBytes?: number;
  readonly readBytes?: number;
  readonly transferredBytes?: number;
}

/** Keys and nonces the compute workers seal with (undefined when the repository is plain). */
export interface WriterKeys {
  readonly identityKey: Uint8Array | undefined;
  readonly blobKey: Uint8Array | undefined;
  nextNonce(): Uint8Array | undefined;
}

export class PointWriter {
  readonly id = toHex(randomBytes(8));
  readonly blockCount: number;
  readonly keys: WriterKeys;
  #blocks: Uint32Array;
  #refs: BlobLocation[] = [];
  #refIndex = new Map<string, number>();
  #pending = new Set<Promise<void>>();
  #stats = { storedBytes: 0, newBlobs: 0, duplicateBlocks: 0, readBytes: 0 };
  #done = false;

  constructor(
    private readonly session: WriterSession,
    private readonly opts: BeginPointOptions,
    private readonly parent: PointManifest | undefined,
    private readonly onEnd: () => Promise<void> = async () => undefined,
  ) {
    this.blockCount = blockCountFor(opts.virtualSize, opts.blockSize);
    this.#blocks = new Uint32Array(this.blockCount).fill(BLOCK_ZERO);
    if (parent) this.#inherit(parent);
    const s = session;
    this.keys = {
      identityKey: s.identityKey,
      blobKey: s.blobKey,
      nextNonce: () => (s.blobKey ? s.nextNonce() : undefined),
    };
    session.pointStarted();
  }

  /** True when a blob with this identity is stored in this backup file (or queued by this session). */
  has(identity: Uint8Array): boolean {
    return this.session.has(identity);
  }

  /** Blobs the backup file already stores (what this point can dedup against). */
  get storedIdentityCount(): number {
    return this.session.blobCount;
  }

  storedIdentities(): Iterable<Uint8Array> {
    return this.session.identities();
  }

  /**
   * Stores a sealed block. Resolves when its frame is written (not yet fsynced: commit does that);
   * the payload must stay untouched until then. An identity already stored is just referenced.
   */
  putBlob(blockIndex: number, sealed: SealedBlob): Promise<void> {
    this.#check(blockIndex);
    this.#checkSealed(blockIndex, sealed);
    this.#stats.readBytes += sealed.rawLength;
    const known = this.session.lookup(sealed.identity);
    if (known) {
      this.#stats.duplicateBlocks++;
      this.#assign(blockIndex, known);
      return Promise.resolve();
    }
    const identity = Uint8Array.from(sealed.identity);
    const header = frameHeaderFor(sealed, identity, `backup file ${this.session.backupFile}`);
    const frame = this.session.append(identity, header, sealed.payload);
    this.#stats.storedBytes += frame.frameLength;
    this.#stats.newBlobs++;
    this.#assign(blockIndex, frame.loc);
    const done = frame.done;
    this.#pending.add(done);
    void done.then(
      () => this.#pending.delete(done),
      () => this.#pending.delete(done),
    );
    return done;
  }

  /** The block equals a blob already stored (the caller checked `has`). */
  putDuplicate(blockIndex: number, identity: Uint8Array): void {
    this.#check(blockIndex);
    const known = this.session.lookup(identity);
    if (!known)
      throw dmError('DM_ERR_INTERNAL', `block ${blockIndex}: duplicate of a blob this backup file lacks`);
    this.#stats.duplicateBlocks++;
    this.#stats.readBytes += this.#lengthOf(blockIndex);
    this.#assign(blockIndex, known);
  }

  putZero(blockIndex: number): void {
    this.#check(blockIndex);
    this.#stats.readBytes += this.#lengthOf(blockIndex);
    this.#blocks[blockIndex] = BLOCK_ZERO;
  }

  /** Deliberately not read (BitLooker, exclusions): restores as zeros. */
  putSkipped(blockIndex: number): void {
    this.#check(blockIndex);
    this.#blocks[blockIndex] = BLOCK_SKIPPED;
  }

  /** Makes the point durable and visible. The writer cannot be used afterwards. */
  async commit(stats: CommitStats = {}): Promise<PointInfo> {
    this.#checkLive();
    await Promise.all(this.#pending);
    this.session.checkOpen();
    this.#done = true;
    try {
      return await this.session.commitPoint(() => this.#manifest(stats), this.id);
    } finally {
      this.session.pointEnded();
      await this.onEnd();
    }
  }

  /** Drops the point; its frames stay in the pack until a later writer's cleanup or merge. */
  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.session.pointEnded();
    await Promise.allSettled(this.#pending);
    await this.onEnd();
  }

  #manifest(stats: CommitStats): PointManifest {
    // Keep only blobs some block still references (an incremental overwrites parent blocks).
    const used = new Int32Array(this.#refs.length).fill(-1);
    const blobs: BlobEntry[] = [];
    const packs: PackRef[] = [];
    const packIndex = new Map<string, number>();
    const blocks = new Uint32Array(this.blockCount);
    let zeroBlocks = 0;
    let skippedBlocks = 0;
    for (let i = 0; i < this.blockCount; i++) {
      const r = this.#blocks[i]!;
      if (r === BLOCK_ZERO || r === BLOCK_SKIPPED) {
        if (r === BLOCK_ZERO) zeroBlocks++;
        else skippedBlocks++;
        blocks[i] = r;
        continue;
      }
      if (used[r] === -1) {
        const loc = this.#refs[r]!;
        let p = packIndex.get(loc.packKey);
        if (p === undefined) {
          const info = this.session.packInfo.get(loc.packKey);
          if (!info) throw dmError('DM_ERR_INTERNAL', `pack ${loc.packKey} is unknown to the session`);
          p = packs.length;
          packIndex.set(loc.packKey, p);
          packs.push({ sessionId: info.sessionId, seq: info.seq, validLength: info.validLength });
        }
        used[r] = blobs.length;
        blobs.push({ pack: p, offset: loc.offset, frameLength: loc.frameLength, identity: loc.identity });
      }
      blocks[i] = used[r]!;
    }
    const full: PointStats = {
      processedBytes: stats.processedBytes ?? this.opts.virtualSize,
      readBytes: stats.readBytes ?? this.#stats.readBytes,
      transferredBytes: stats.transferredBytes ?? this.#stats.storedBytes,
      storedBytes: this.#stats.storedBytes,
      newBlobs: this.#stats.newBlobs,
      duplicateBlocks: this.#stats.duplicateBlocks,
      zeroBlocks,
      skippedBlocks,
    };
    const type: PointType = this.opts.type;
    return {
      id: Buffer.from(this.id, 'hex'),
      parent: this.parent?.id,
      type,
      disk: this.opts.disk,
      blockSize: this.opts.blockSize,
      virtualSize: this.opts.virtualSize,
      createdMs: this.session.repo.now(),
      vm: this.opts.vm,
      changeId: this.opts.changeId ?? '',
      backupFile: this.session.backupFile,
      stats: full,
      packs,
      blobs,
      blocks,
    };
  }

  #inherit(parent: PointManifest): void {
    const keys = parent.packs.map((p) => packKey(p.sessionId, p.seq));
    const refOf = parent.blobs.map((b) =>
      this.#refFor({
        packKey: keys[b.pack]!,
        offset: b.offset,
        frameLength: b.frameLength,
        identity: b.identity,
      }),
    );
    const n = Math.min(parent.blocks.length, this.blockCount);
    for (let i = 0; i < n; i++) {
      const b = parent.blocks[i]!;
      this.#blocks[i] = b === BLOCK_ZERO || b === BLOCK_SKIPPED ? b : refOf[b]!;
    }
  }

  #refFor(loc: BlobLocation): number {
    const key = identityKeyOf(loc.identity);
    let r = this.#refIndex.get(key);
    if (r === undefined) {
      r = this.#refs.length;
      this.#refs.push(loc);
      this.#refIndex.set(key, r);
    }
    return r;
  }

  #assign(blockIndex: number, loc: BlobLocation): void {
    this.#blocks[blockIndex] = this.#refFor(loc);
  }

  #lengthOf(blockIndex: number): number {
    return Math.min(this.opts.blockSize, this.opts.virtualSize - blockIndex * this.opts.blockSize);
  }

  #checkLive(): void {
    if (this.#done) throw dmError('DM_ERR_ARG_INVALID', `point ${this.id} is already committed or aborted`);
    this.session.checkOpen();
  }

  #check(blockIndex: number): void {
    this.#checkLive();
    if (!Number.isInteger(blockIndex) || blockIndex < 0 || blockIndex >= this.blockCount)
      throw dmError('DM_ERR_ARG_INVALID', `block index ${blockIndex} is outside 0..${this.blockCount - 1}`);
  }

  #checkSealed(blockIndex: number, s: SealedBlob): void {
    if (s.rawLength !== this.#lengthOf(blockIndex))
      throw dmError(
        'DM_ERR_ARG_INVALID',
        `block ${blockIndex}: raw length ${s.rawLength}, expected ${this.#lengthOf(blockIndex)}`,
      );
    if ((s.nonce !== undefined) !== (this.session.blobKey !== undefined))
      throw dmError(
        'DM_ERR_ARG_INVALID',
        `block ${blockIndex}: blob encryption does not match the repository`,
      );
    if (s.identity.length !== 32 || s.payload.length + FRAME_HEADER_SIZE > 0xffffffff)
      throw dmError('DM_ERR_ARG_INVALID', `block ${blockIndex}: malformed sealed blob`);
  }
}
