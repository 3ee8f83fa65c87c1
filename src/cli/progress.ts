import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import { DmError, exitCodeFor, formatSize } from '../index.js';

export interface ProgressSink {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress bar on a TTY (stderr, so stdout stays clean for --json); nothing otherwise. */
export function progressBar(label: string, enabled: boolean): ProgressSink {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  // Loaded only for a bar on a TTY, with require() (no ESM export lexer over a CommonJS package).
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {doneText} / {totalText} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0, { doneText: formatSize(0), totalText: formatSize(total) });
        started = true;
      }
      bar.update(done, { doneText: formatSize(done), totalText: formatSize(total) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** The signals that end a command the way Ctrl-C does: an interactive stop, `kill`, a closed terminal. */
export const ABORT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The process's one abort controller: every command runs one operation. */
let controller: AbortController | undefined;

/**
 * SIGINT, SIGTERM and SIGHUP abort the running operation cleanly: it stops, removes its partial
 * outputs and releases its locks, and the command fails with DM_ERR_ABORTED (exit 7). A second
 * signal while that cleanup runs ends the process at once, still with DM_ERR_ABORTED and exit 7
 * (what the cleanup had not done yet is left for a later run to remove).
 */
export function abortOnSignals(): AbortSignal {
  if (controller) return controller.signal;
  const c = new AbortController();
  controller = c;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!c.signal.aborted) {
      c.abort(new DmError('DM_ERR_ABORTED', `${signal} received: aborting`));
      return;
    }
    const again = new DmError('DM_ERR_ABORTED', `${signal} received again while aborting: stopped at once`);
    process.stderr.write(`${again.code}: ${again.message}\n`);
    process.exit(exitCodeFor(again));
  };
  for (const s of ABORT_SIGNALS) process.on(s, onSignal);
  return c.signal;
}
