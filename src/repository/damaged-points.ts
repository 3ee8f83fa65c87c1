/**
 * Damaged restore points: a manifest that cannot be read (checksum, authentication, layout), a
 * point file that is not a regular file, or a backup file whose directory cannot be listed safely.
 * A damaged point is never trusted and never blocks the others: it is listed as damaged, and the
 * latest point of a VM is refused only when a damaged manifest may be that latest point.
 *
 * Which VM a damaged manifest belonged to can often still be told: a flipped bit rarely hits the
 * names. `claimOf` decodes the damaged body anyway (for an encrypted manifest: AES-GCM's counter
 * mode deciphered without the tag check) and keeps what it claims (vm, disk, time) only when the id
 * and backup file inside match the file's place. A claim is a hint, never data: it only decides
 * which VM's "latest" a damaged manifest may hide, and is shown as unverified.
 */
import { createDecipheriv } from 'node:crypto';
import type { ErrorCode } from '../errors.js';
import { toHex } from '../format/bytes.js';
import { readU64 } from '../format/bytes.js';
import { ENVELOPE_HEADER_SIZE, MAX_NAME_BYTES, POINT_FIXED_SIZE } from '../format/constants.js';
import type { RepoKeys } from './keys.js';

export interface DamagedPointClaim {
  readonly vm: string;
  readonly disk: number;
  /** ISO 8601 creation time the damaged manifest claims. */
  readonly time: string;
  readonly createdMs: number;
}

export interface DamagedPoint {
  /** Point id (hex); absent when a whole backup file cannot be listed. */
  readonly id?: string;
  readonly backupFile?: string;
  readonly file: string;
  readonly code: ErrorCode;
  readonly message: string;
  /** Last modification of the manifest file (ms): the point was created no later than this. */
  readonly modifiedMs?: number;
  /** What the damaged manifest says it is: unverified (see above). */
  readonly claimed?: DamagedPointClaim;
}

const TAG_BYTES = 16;

/** The unverified plaintext of a damaged manifest's body, if there is one to decipher. */
function unverifiedBody(bytes: Uint8Array, keys: RepoKeys | undefined): Uint8Array | undefined {
  if (bytes.length <= ENVELOPE_HEADER_SIZE) return undefined;
  const body = bytes.subarray(ENVELOPE_HEADER_SIZE);
  if (!keys) return body;
  if (body.length <= TAG_BYTES) return undefined;
  const salt = bytes.subarray(24, 56);
  const nonce = bytes.subarray(56, 68);
  // update() without final(): the keystream applied, the tag deliberately not checked.
  const d = createDecipheriv('aes-256-gcm', keys.deriveMetaKey(salt), nonce);
  return new Uint8Array(d.update(body.subarray(0, body.length - TAG_BYTES)));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What a damaged manifest claims to be, from its fixed part and names only (format/manifest.ts:
 * id at 0, disk at 18, created at 32, name lengths at 120.., names at 128), so damage in its
 * tables does not hide whose point it was. Undefined unless the id and backup file inside match
 * the file's place.
 */
export function claimOf(
  bytes: Uint8Array,
  keys: RepoKeys | undefined,
  id: string,
  backupFile: string,
): DamagedPointClaim | undefined {
  try {
    const plain = unverifiedBody(bytes, keys);
    if (!plain || plain.length < POINT_FIXED_SIZE) return undefined;
    const dv = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    const lens = [0, 1, 2].map((i) => dv.getUint16(120 + i * 2, true));
    if (
      lens.some((n) => n > MAX_NAME_BYTES) ||
      POINT_FIXED_SIZE + lens[0]! + lens[1]! + lens[2]! > plain.length
    )
      return undefined;
    const vmAt = POINT_FIXED_SIZE;
    const bfAt = vmAt + lens[0]! + lens[1]!;
    const vm = utf8.decode(plain.subarray(vmAt, vmAt + lens[0]!));
    const bf = utf8.decode(plain.subarray(bfAt, bfAt + lens[2]!));
    const createdMs = readU64(dv, 32);
    if (toHex(plain.subarray(0, 8)) !== id || bf !== backupFile || createdMs === undefined || vm.length === 0)
      return undefined;
    const time = new Date(createdMs);
    if (Number.isNaN(time.getTime())) return undefined;
    return { vm, disk: dv.getUint16(18, true), time: time.toISOString(), createdMs };
  } catch {
    return undefined;
  }
}

/**
 * The damaged points that may be the latest point of `vm` disk `disk`, i.e. newer than
 * `latestMs` (creation time of its latest intact point; undefined when it has none):
 * - one claiming to be this vm/disk and newer;
 * - one that claims nothing (too damaged to tell) and was last written at or after `latestMs`;
 * - a backup file that cannot be listed at all.
 */
export function damageHidingLatest(
  damaged: readonly DamagedPoint[],
  vm: string,
  disk: number,
  latestMs: number | undefined,
): DamagedPoint[] {
  return damaged.filter((d) => {
    if (d.id === undefined) return true;
    if (d.claimed)
      return (
        d.claimed.vm === vm &&
        d.claimed.disk === disk &&
        (latestMs === undefined || d.claimed.createdMs > latestMs)
      );
    return latestMs === undefined || d.modifiedMs === undefined || d.modifiedMs >= latestMs;
  });
}

/** What a user can do about a damaged point (verify and points print it). */
export function repairAdvice(d: DamagedPoint): string {
  if (d.id === undefined)
    return `move ${d.file} out of the repository or replace it with a directory of that backup file's points`;
  return (
    `point ${d.id} cannot be restored; no other point needs it (every manifest is complete). ` +
    `To drop it, delete ${d.file}: the next backup into ${d.backupFile ?? 'its backup file'} then also ` +
    `removes the data only it used. Until then, a backup of its VM starts a new chain (a full) whenever ` +
    `this damaged point may be the latest one.`
  );
}
