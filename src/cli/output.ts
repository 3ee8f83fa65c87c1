import { exitCodeFor, isDmError } from '../index.js';
import { printable } from './printable.js';

/** Every command prints either one JSON document (`--json`) or human text on stdout, nothing else. */
export function printResult(json: boolean, value: unknown, human: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/**
 * Ends the process once stdout and stderr have flushed. The command's work is done when this runs;
 * what Node would do next is tear down the heap and the threads' isolates, which no user waits
 * for (docs/decisions.md, "Build and start-up").
 */
export function exitWhenFlushed(): void {
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/**
 * Failures go to stderr as `DM_ERR_CODE: message`, with the code's exit status. The message is one
 * line: names and paths in it (VM names, guest paths) cannot forge further lines.
 */
export function failAndExit(err: unknown): never {
  const code = isDmError(err) ? err.code : 'DM_ERR_INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${code}: ${printable(message, { keepBackslashes: true })}\n`);
  if (!isDmError(err) && err instanceof Error && err.stack && process.env['DM_DEBUG']) {
    process.stderr.write(`${err.stack}\n`);
  }
  process.exit(exitCodeFor(err));
}
