/**
 * tuneProcessForBackups(): the V8 setting the CLI runs backups with, for library users who want
 * the same. Flags are process-wide (the compute threads get them too), so the library never sets
 * them by itself: the CLI calls this first thing, and a program embedding datamover may.
 *
 * --interrupt-budget ×4 (V8's default is 66 KiB of bytecode between tier-up checks): a backup
 * runs for a second or two, and at the default V8 spent background CPU in TurboFan optimising
 * stream and pipeline glue that ran a few thousand times — CPU the two compute threads needed on a
 * 2-core proxy (docs/decisions.md, "Build and start-up"). Loops that run long (codecs in JS, the
 * fixtures generator, NTFS parsing of big volumes) still reach TurboFan, a few milliseconds later.
 */
import { setFlagsFromString } from 'node:v8';

export const BACKUP_V8_FLAGS = '--interrupt-budget=270336';

export function tuneProcessForBackups(): void {
  setFlagsFromString(BACKUP_V8_FLAGS);
}
