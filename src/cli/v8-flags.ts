/**
 * V8 tuning for the CLI process (flags are process-wide, so the compute threads get them too).
 * Imported first by main.ts, so it runs before any other module of the CLI evaluates.
 *
 * --interrupt-budget ×4 (V8's default is 66 KiB of bytecode between tier-up checks): a backup
 * runs for a second or two, and at the default V8 spent ~0.29 s of background-thread CPU in
 * TurboFan optimising stream and pipeline glue that ran a few thousand times (perf, default 4 GiB
 * fixtures disk, 2026-12-04) — CPU the two compute threads needed on a 2-core proxy. With ×4,
 * TurboFan took ~20 ms, and the CLI backup's user CPU fell from 2.25 to 2.06 s and its wall from
 * 1.74 to 1.63 s (medians of 6 alternating runs). Loops that run long (codecs in JS, the fixtures
 * generator, NTFS parsing of big volumes) still reach TurboFan, a few milliseconds later.
 * Library users keep their own process's flags: this is the CLI's choice, not the library's.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--interrupt-budget=270336');
