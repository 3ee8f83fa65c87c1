/**
 * A repository problem as reports carry it: the file, the DM_ERR code, and the message without the
 * file name repeated (a DmError's message already ends in "[file, offset …]"; a report that prints
 * `message [file]` showed the path twice).
 */
import { isDmError } from '../errors.js';
import type { DmError, ErrorCode } from '../errors.js';

export interface VerifyProblem {
  readonly file: string;
  readonly code: ErrorCode;
  readonly message: string;
  /** What to do about it, when there is something the user can do. */
  readonly repair?: string;
}

/** `err.message` without `file` in its location suffix (offset and field stay). */
export function bareMessage(err: DmError, file: string): string {
  const loc = err.location;
  if (!loc || loc.file !== file) return err.message;
  const rest: string[] = [];
  if (loc.offset !== undefined) rest.push(`offset ${loc.offset} (0x${loc.offset.toString(16)})`);
  if (loc.field !== undefined) rest.push(`field ${loc.field}`);
  const suffix = ` [${[file, ...rest].join(', ')}]`;
  if (!err.message.endsWith(suffix)) return err.message;
  return err.message.slice(0, -suffix.length) + (rest.length ? ` [${rest.join(', ')}]` : '');
}

export function problemOf(file: string, err: unknown): VerifyProblem {
  if (isDmError(err)) return { file, code: err.code, message: bareMessage(err, file) };
  return { file, code: 'DM_ERR_INTERNAL', message: String(err) };
}
