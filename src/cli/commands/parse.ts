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

/** Parses a whole number flag in [min, max] (digits only: no signs, exponents or hex), naming the flag. */
export function parseCount(value: string, flag: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max))
    throw new DmError(
      'DM_ERR_ARG_INVALID',
      `${flag} must be a whole number from ${min} to ${max}; got "${value}"`,
    );
  return n;
}

/** Input image formats: by content (auto), or forced. */
export const IMAGE_FORMATS = ['auto', 'vhdx', 'raw'] as const;
