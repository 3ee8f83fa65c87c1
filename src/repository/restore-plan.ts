/**
 * What a restore reads: for each pack of a point, its wanted frames (offset, frame length, blob),
 * for each blob the blocks it fills, and the keys each pack opens with.
 */
import { dmError } from '../errors.js';
import type { FrameKeys } from '../compute/frame-open.js';
import type { PackHeader } from '../format/pack-header.js';
import type { RepoHandle } from './handle.js';
import { BLOCK_SKIPPED, BLOCK_ZERO } from '../format/constants.js';
import type { PointManifest } from '../format/manifest.js';

export interface WantedFrame {
  readonly offset: number;
  readonly length: number;
  /** Index into the manifest's blob table. */
  readonly blob: number;
}

/** Which blocks each blob fills: blob i fills list[start[i]] … list[start[i + 1] - 1] (CSR, no per-blob arrays). */
export function blocksByBlob(m: PointManifest): { start: Uint32Array; list: Uint32Array } {
  const start = new Uint32Array(m.blobs.length + 1);
  for (const b of m.blocks) if (b !== BLOCK_ZERO && b !== BLOCK_SKIPPED) start[b + 1]!++;
  for (let i = 0; i < m.blobs.length; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, m.blobs.length);
  const list = new Uint32Array(start[m.blobs.length]!);
  m.blocks.forEach((b, i) => {
    if (b !== BLOCK_ZERO && b !== BLOCK_SKIPPED) list[fill[b]!++] = i;
  });
  return { start, list };
}

/** The wanted frames of every pack of the point: result[p] lists pack p's. */
export function framesByPack(m: PointManifest): WantedFrame[][] {
  const out: WantedFrame[][] = m.packs.map(() => []);
  m.blobs.forEach((b, i) => out[b.pack]?.push({ offset: b.offset, length: b.frameLength, blob: i }));
  return out;
}

/** The keys a pack's frames open with; refuses a pack whose encryption differs from the repository's. */
export function packKeys(repo: RepoHandle, header: PackHeader, file: string): FrameKeys {
  if (!!repo.keys !== header.encrypted)
    throw dmError('DM_ERR_CRYPTO_AUTH', 'pack encryption does not match the repository', { file });
  return {
    blobKey: repo.keys && header.encrypted ? repo.keys.deriveBlobKey(header.salt) : undefined,
    identityKey: repo.keys?.identityKey,
  };
}
