/** What every repository operation needs from an open repository; plain data, no behaviour. */
import type { RepoIo } from './io.js';
import type { RepoKeys } from './keys.js';

export interface RepoHandle {
  readonly dir: string;
  readonly encrypted: boolean;
  /** Hex repository id from the config. */
  readonly repoId: string;
  /** Present exactly when the repository is encrypted and was opened with the right password. */
  readonly keys: RepoKeys | undefined;
  readonly io: RepoIo;
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number;
}
