import { DmError } from '../../index.js';

/** Validates a flag against its allowed values, naming the flag in the error. */
export function parseChoice<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new DmError('DM_ERR_ARG_INVALID', `${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
}

/** Parses a positive integer flag, naming the flag in the error. */
export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new DmError('DM_ERR_ARG_INVALID', `${flag} must be a positive integer; got "${value}"`);
  return n;
}
