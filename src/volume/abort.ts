import { dmError } from '../errors.js';

/** Throws DM_ERR_ABORTED when `signal` has fired (checked between volumes and exclusions). */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw dmError('DM_ERR_ABORTED', 'volume analysis aborted');
}
