/**
 * The one error catalog. Codes are stable (`DM_ERR_<AREA>_<WHAT>`): tools match on `code`, never on
 * message text or class. Add codes freely; never rename or reuse one. Document each in docs/errors.md.
 */

/** Exit status families the CLI maps codes to. */
export const ExitStatus = {
  internal: 1,
  usage: 2,
  badInput: 3,
  integrity: 4,
  crypto: 5,
  io: 6,
  aborted: 7,
} as const;
export type ExitStatusName = keyof typeof ExitStatus;

interface CodeInfo {
  readonly exit: ExitStatusName;
  readonly summary: string;
}

function entry(exit: ExitStatusName, summary: string): CodeInfo {
  return { exit, summary };
}

export const ERROR_CATALOG = {
  // ── arguments and options ──
  DM_ERR_ARG_INVALID: entry('usage', 'an option or argument is invalid'),
  DM_ERR_ARG_SIZE: entry('usage', 'a size argument cannot be parsed or is out of range'),

  // ── plain I/O ──
  DM_ERR_IO_OPEN: entry('io', 'a file cannot be opened'),
  DM_ERR_IO_READ: entry('io', 'reading a file failed'),
  DM_ERR_IO_WRITE: entry('io', 'writing a file failed'),
  DM_ERR_IO_NOSPACE: entry('io', 'the target file system is full (ENOSPC)'),
  DM_ERR_IO_NOT_REGULAR: entry(
    'usage',
    'a path meant to be a regular file is a device, FIFO, socket, directory or link',
  ),

  // ── output targets ──
  DM_ERR_OUTPUT_EXISTS: entry('usage', 'the output file exists; --force replaces it'),
  DM_ERR_OUTPUT_REFUSED: entry('usage', 'the output path lies inside a repository or is not a regular file'),

  // ── disk image sources ──
  DM_ERR_SOURCE_FORMAT_UNKNOWN: entry('badInput', 'the image format is not recognised'),
  DM_ERR_SOURCE_RANGE: entry('usage', 'a read lies outside the virtual disk'),
  DM_ERR_SOURCE_TRUNCATED: entry('badInput', 'the image file is shorter than its metadata says'),

  // ── VHDX ──
  DM_ERR_VHDX_SIGNATURE: entry('badInput', 'the file type identifier is not "vhdxfile"'),
  DM_ERR_VHDX_HEADER: entry('badInput', 'no valid VHDX header (signature, CRC-32C or version)'),
  DM_ERR_VHDX_REGION_TABLE: entry('badInput', 'the region table is invalid'),
  DM_ERR_VHDX_REGION_OVERLAP: entry('badInput', 'two regions, or a region and a block, overlap'),
  DM_ERR_VHDX_METADATA: entry('badInput', 'the metadata table or a metadata item is invalid'),
  DM_ERR_VHDX_BLOCK_SIZE: entry('badInput', 'the block size is not a power of two from 1 to 256 MiB'),
  DM_ERR_VHDX_SECTOR_SIZE: entry('badInput', 'a sector size is neither 512 nor 4096'),
  DM_ERR_VHDX_VIRTUAL_SIZE: entry('badInput', 'the virtual size is zero, unaligned or above 64 TiB'),
  DM_ERR_VHDX_BAT: entry('badInput', 'a BAT entry has an invalid state or reserved bits set'),
  DM_ERR_VHDX_BAT_RANGE: entry('badInput', 'a BAT entry points past the end of the file'),
  DM_ERR_VHDX_LOG_ACTIVE: entry('badInput', 'the image has an active log that must be replayed first'),
  DM_ERR_VHDX_LOG: entry('badInput', 'the log is corrupt or cannot be replayed'),
  DM_ERR_VHDX_PARENT_LOCATOR: entry('badInput', 'the parent locator is missing or malformed'),
  DM_ERR_VHDX_PARENT_MISSING: entry('badInput', 'no parent path in the locator resolves to a file'),
  DM_ERR_VHDX_PARENT_LINKAGE: entry('badInput', "the parent's DataWriteGuid does not match parent_linkage"),
  DM_ERR_VHDX_CHAIN: entry('badInput', 'the differencing chain is cyclic, too deep or inconsistent'),
  DM_ERR_VHDX_WRITE_OPTION: entry('usage', 'a VHDX writer option is out of range'),
  DM_ERR_VHDX_WRITE_RANGE: entry('usage', 'a VHDX write is not sector-aligned or ends past the virtual size'),

  // ── guest volumes ──
  DM_ERR_PART_TABLE: entry('badInput', 'the partition table is invalid'),
  DM_ERR_NTFS_BOOT: entry('badInput', 'the NTFS boot sector is invalid'),
  DM_ERR_NTFS_FIXUP: entry('badInput', 'an NTFS update-sequence fixup does not match'),
  DM_ERR_NTFS_RECORD: entry('badInput', 'an MFT record is invalid'),
  DM_ERR_NTFS_ATTRIBUTE: entry('badInput', 'an NTFS attribute is invalid'),
  DM_ERR_NTFS_RUNLIST: entry('badInput', 'an NTFS runlist is invalid or points outside the volume'),
  DM_ERR_NTFS_ATTRLIST: entry('badInput', 'an NTFS attribute list is invalid, cyclic or too large'),
  DM_ERR_NTFS_BITMAP: entry(
    'badInput',
    'the NTFS $Bitmap (or $MFT $BITMAP) is invalid, too short, or marks in-use clusters free',
  ),
  DM_ERR_NTFS_NOT_FOUND: entry('badInput', 'a guest path does not exist on the NTFS volume'),

  // ── change maps ──
  DM_ERR_CHANGES_PARSE: entry('badInput', 'a change map is malformed'),
  DM_ERR_CHANGES_BASE_MISMATCH: entry('badInput', "a change map's base id does not match the last point"),

  // ── repository ──
  DM_ERR_REPO_NOT_FOUND: entry('usage', 'no repository at this path'),
  DM_ERR_REPO_NOT_EMPTY: entry('usage', 'the directory is neither a repository nor empty'),
  DM_ERR_REPO_POINT_DAMAGED: entry('integrity', 'one or more restore points are damaged'),
  DM_ERR_REPO_FORMAT: entry('integrity', 'a repository file has a bad magic number or layout'),
  DM_ERR_REPO_VERSION: entry('integrity', 'a repository file has an unsupported format version'),
  DM_ERR_REPO_CHECKSUM: entry('integrity', 'a repository file or blob fails its checksum'),
  DM_ERR_REPO_CORRUPT: entry('integrity', 'repository contents are inconsistent'),
  DM_ERR_REPO_POINT_NOT_FOUND: entry('usage', 'no such restore point'),
  DM_ERR_REPO_LOCKED: entry('io', 'the repository or backup file is locked by another writer'),
  DM_ERR_REPO_WRITER_BROKEN: entry('io', 'the writer hit an earlier error and refuses further use'),

  // ── encryption ──
  DM_ERR_CRYPTO_PASSWORD: entry('crypto', 'the password is wrong'),
  DM_ERR_CRYPTO_PASSWORD_REQUIRED: entry('crypto', 'the repository is encrypted and no password was given'),
  DM_ERR_CRYPTO_NOT_ENCRYPTED: entry('crypto', 'a password was given but the repository is not encrypted'),
  DM_ERR_CRYPTO_AUTH: entry('integrity', 'authenticated decryption failed: the data was altered'),

  // ── workers and codecs ──
  DM_ERR_WORKER_FAILED: entry('internal', 'a worker thread failed'),
  DM_ERR_CODEC: entry('integrity', 'compressed data cannot be decoded'),

  // ── infrastructure and jobs ──
  DM_ERR_INFRA_SCHEMA: entry('badInput', 'the infrastructure file does not match its schema'),
  DM_ERR_INFRA_PATH: entry('badInput', 'a path in the infrastructure file escapes its directory'),

  // ── general ──
  DM_ERR_ABORTED: entry('aborted', 'the operation was aborted'),
  DM_ERR_INTERNAL: entry('internal', 'an internal invariant failed (a bug)'),
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Where in an input the fault lies; every field optional, all included in the message. */
export interface ErrorLocation {
  readonly file?: string;
  readonly offset?: number;
  readonly field?: string;
}

export class DmError extends Error {
  override readonly name = 'DmError';
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;

  constructor(code: ErrorCode, message: string, options?: { location?: ErrorLocation; cause?: unknown }) {
    super(
      formatMessage(message, options?.location),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.location = options?.location;
  }
}

function formatMessage(message: string, loc: ErrorLocation | undefined): string {
  if (!loc) return message;
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.offset !== undefined) parts.push(`offset ${loc.offset} (0x${loc.offset.toString(16)})`);
  if (loc.field !== undefined) parts.push(`field ${loc.field}`);
  return parts.length ? `${message} [${parts.join(', ')}]` : message;
}

/** Shorthand used across the code base: `throw dmError('DM_ERR_VHDX_BAT', '...', { file, offset })`. */
export function dmError(
  code: ErrorCode,
  message: string,
  location?: ErrorLocation,
  cause?: unknown,
): DmError {
  return new DmError(code, message, {
    ...(location ? { location } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

export function isDmError(err: unknown, code?: ErrorCode): err is DmError {
  if (!(err instanceof Error)) return false;
  const c = (err as unknown as { code?: unknown }).code;
  return typeof c === 'string' && c in ERROR_CATALOG && (code === undefined || c === code);
}

/** Plain wire shape: errors lose their class crossing worker_threads, so they travel as data. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  /** The thrower's location (already part of `message`), kept so callers can still read it. */
  readonly location?: ErrorLocation | undefined;
  readonly cause?: WireError | undefined;
}

export function toWire(err: unknown, depth = 0): WireError {
  if (err instanceof Error) {
    const code = isDmError(err) ? err.code : 'DM_ERR_INTERNAL';
    const cause = depth < 4 && err.cause !== undefined ? toWire(err.cause, depth + 1) : undefined;
    const location = isDmError(err) ? err.location : undefined;
    return {
      code,
      message: err.message,
      ...(location ? { location: { ...location } } : {}),
      ...(cause ? { cause } : {}),
    };
  }
  return { code: 'DM_ERR_INTERNAL', message: String(err) };
}

export function fromWire(wire: WireError): DmError {
  const code: ErrorCode = wire.code in ERROR_CATALOG ? (wire.code as ErrorCode) : 'DM_ERR_INTERNAL';
  const err = new DmError(code, wire.message, wire.cause ? { cause: fromWire(wire.cause) } : undefined);
  // Not through the constructor: the message already carries the formatted location.
  return wire.location ? Object.assign(err, { location: wire.location }) : err;
}

/** Map Node system errors (ENOSPC, ENOENT, ...) to catalog errors, naming the file. */
export function fromSystemError(err: unknown, op: 'open' | 'read' | 'write', file: string): DmError {
  if (isDmError(err)) return err;
  const sys = err as NodeJS.ErrnoException;
  if (sys?.code === 'ENOSPC')
    return dmError('DM_ERR_IO_NOSPACE', `no space left while writing`, { file }, err);
  // Outputs are created exclusively (O_EXCL): EEXIST means something is already there.
  if (sys?.code === 'EEXIST' && op === 'open')
    return dmError('DM_ERR_OUTPUT_EXISTS', 'the output exists and is left as it is', { file }, err);
  const code: ErrorCode =
    op === 'open' ? 'DM_ERR_IO_OPEN' : op === 'read' ? 'DM_ERR_IO_READ' : 'DM_ERR_IO_WRITE';
  return dmError(code, `${op} failed: ${sys?.message ?? String(err)}`, { file }, err);
}

export function exitCodeFor(err: unknown): number {
  if (isDmError(err)) return ExitStatus[ERROR_CATALOG[err.code].exit];
  return ExitStatus.internal;
}
