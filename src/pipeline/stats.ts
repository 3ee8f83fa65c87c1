/**
 * Per-stage busy time and the bottleneck model (veeam-behaviour.md §5): each stage's share is the
 * fraction of the data-transfer time it was busy; shares are independent and do not sum to 100.
 *
 * Our stages, in process:
 * - source:  a source read is pending (the reader waits on the disk or page cache).
 * - proxy:   the proxy host's CPU load: CPU time of the whole process (every thread: compute
 *            workers, the main thread, I/O syscalls) ÷ (wall time × cores). 100 % means the
 *            machine's cores were always busy with this backup.
 * - network: the in-process hand-off that stands in for the proxy → repository link: main-thread
 *            time spent moving blocks between stages (dedup lookups, dispatch to and results from
 *            workers, ordering). There is no wire, so this stays low unless the main thread is
 *            the choke point.
 * - target:  a repository write is pending (the writer is busy).
 * The largest share is `primary`.
 */
import { performance } from 'node:perf_hooks';

export type StageName = 'source' | 'proxy' | 'network' | 'target';

export interface Bottleneck {
  readonly source: number;
  readonly proxy: number;
  readonly network: number;
  readonly target: number;
  readonly primary: StageName;
}

/** Union of busy intervals of one stage with possibly overlapping operations (ms). */
export class BusyClock {
  #active = 0;
  #since = 0;
  #busy = 0;

  begin(): void {
    if (this.#active++ === 0) this.#since = performance.now();
  }

  end(): void {
    if (--this.#active === 0) this.#busy += performance.now() - this.#since;
  }

  /** Busy time measured elsewhere (reads done by worker threads, per thread). */
  add(ms: number): void {
    this.#busy += ms;
  }

  /** Busy milliseconds so far (an open interval counts up to now). */
  get busyMs(): number {
    return this.#busy + (this.#active > 0 ? performance.now() - this.#since : 0);
  }
}

/** Summed busy time over parallel threads (ms), e.g. worker run times. */
export class SumClock {
  #busy = 0;

  add(ms: number): void {
    this.#busy += ms;
  }

  /** Runs `fn` synchronously and adds its duration. */
  time<T>(fn: () => T): T {
    const t = performance.now();
    try {
      return fn();
    } finally {
      this.#busy += performance.now() - t;
    }
  }

  get busyMs(): number {
    return this.#busy;
  }
}

export interface StageClocks {
  readonly source: BusyClock;
  readonly proxy: SumClock;
  readonly network: SumClock;
  readonly target: BusyClock;
}

export function newStageClocks(): StageClocks {
  return { source: new BusyClock(), proxy: new SumClock(), network: new SumClock(), target: new BusyClock() };
}

const round3 = (x: number) => Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;

/** Shares (0..1, three decimals) over `wallMs`; `cpuMs` is the process CPU time over `cores`. */
export function bottleneckOf(clocks: StageClocks, wallMs: number, cpuMs: number, cores: number): Bottleneck {
  const wall = Math.max(wallMs, 1e-6);
  const shares = {
    source: round3(clocks.source.busyMs / wall),
    proxy: round3(cpuMs / (wall * Math.max(1, cores))),
    network: round3(clocks.network.busyMs / wall),
    target: round3(clocks.target.busyMs / wall),
  };
  let primary: StageName = 'source';
  for (const k of ['proxy', 'network', 'target'] as const) if (shares[k] > shares[primary]) primary = k;
  return { ...shares, primary };
}
