/**
 * The benches the report knows, and their latest JSON results in bench/out/results/<name>.json.
 * A quick bench can be run by the report itself (`npm run bench:report -- --run`): it prints one
 * JSON document, which is saved with the date, the machine and the load. The long benches (minutes,
 * peers to install, text output) are listed with their command and their latest recorded figure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import path from 'node:path';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly kernel: string;
}

export interface SavedResult {
  readonly name: string;
  /** ISO 8601, UTC. */
  readonly date: string;
  readonly machine: Machine;
  readonly loadAverage: readonly number[];
  readonly command: string;
  readonly result: unknown;
}

/** One line per figure worth a table cell. */
export interface Summary {
  readonly figure: string;
  readonly detail?: string;
}

export interface Bench {
  readonly name: string;
  readonly what: string;
  readonly bar: string;
  /** What a user types to reproduce the figure. */
  readonly command: string;
  /** For quick benches: the args after `node` that print one JSON document. */
  readonly runArgs?: readonly string[];
  readonly summarize?: (result: unknown) => Summary;
}

export function thisMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${osType()} ${release()}`,
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.kernel}`;
}

function resultFile(dir: string, name: string): string {
  return path.join(dir, `${name}.json`);
}

/** The saved result of a bench, or undefined when it was never run here. */
export function loadResult(dir: string, name: string): SavedResult | undefined {
  const file = resultFile(dir, name);
  if (!existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedResult;
  if (saved.name !== name || typeof saved.date !== 'string' || saved.machine === undefined)
    throw new Error(`${file}: not a saved result of bench ${name} (name, date and machine are required)`);
  return saved;
}

/** The JSON document in a bench's stdout: from its first line that starts with `{` or `[`. */
export function jsonFromOutput(stdout: string, name: string): unknown {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new Error(`bench ${name} printed no JSON document`);
  return JSON.parse(stdout.slice(start));
}

/** Runs a quick bench and saves its result; throws with the bench's stderr when it fails. */
export function runAndSave(dir: string, bench: Bench, cwd: string): SavedResult {
  if (!bench.runArgs) throw new Error(`bench ${bench.name} is not one the report runs`);
  const r = spawnSync(process.execPath, [...bench.runArgs], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`bench ${bench.name} failed (status ${r.status}):\n${r.stderr}`);
  const saved: SavedResult = {
    name: bench.name,
    date: new Date().toISOString(),
    machine: thisMachine(),
    loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
    command: bench.command,
    result: jsonFromOutput(r.stdout, bench.name),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(resultFile(dir, bench.name), `${JSON.stringify(saved, null, 2)}\n`);
  return saved;
}
