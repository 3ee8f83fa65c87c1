/** The shared rule for flags words and versions (constants.ts): unknown required bits are refused. */
import { dmError } from '../errors.js';
import { KNOWN_REQUIRED_FLAGS, REQUIRED_FLAGS_MASK } from './constants.js';

export function checkVersionAndFlags(
  version: number,
  supported: number,
  flags: number,
  file: string,
  what: string,
): void {
  if (version === 0 || version > supported)
    throw dmError('DM_ERR_REPO_VERSION', `${what} version ${version} is not supported (max ${supported})`, {
      file,
      field: 'version',
    });
  const unknown = flags & REQUIRED_FLAGS_MASK & ~KNOWN_REQUIRED_FLAGS;
  if (unknown !== 0)
    throw dmError('DM_ERR_REPO_VERSION', `${what} uses unknown required flags 0x${unknown.toString(16)}`, {
      file,
      field: 'flags',
    });
}

export function checkMagic(buf: Uint8Array, magic: Uint8Array, file: string, what: string): void {
  if (buf.length < magic.length) throw dmError('DM_ERR_REPO_FORMAT', `${what} is truncated`, { file });
  for (let i = 0; i < magic.length; i++)
    if (buf[i] !== magic[i])
      throw dmError('DM_ERR_REPO_FORMAT', `${what} has a bad magic number`, {
        file,
        offset: 0,
        field: 'magic',
      });
}
