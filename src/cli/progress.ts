import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import { formatSize } from '../index.js';

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

/** Ctrl-C aborts the running operation cleanly (partial outputs removed) instead of killing it. */
export function abortOnSigint(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return controller.signal;
}
