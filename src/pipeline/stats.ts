/**
 * Per-stage busy time and the bottleneck model (veeam-behaviour.md §5): each stage's share is the
 * fraction of the data-transfer time it was busy; shares are independent and do not sum to 100.
 *
 * The stage clocks, each measuring what its name says (StageClocks):
 * - sourceRead: a source read is pending (the main thread's reads, and the compute threads' reads
 *               of read maps, their time divided by the thread count).
 * - compute:    zero checks, identities, compression, encryption and frame headers, summed over
 *               the threads that ran them (engine time; the main thread's own zero checks/hashes).
 * - handover:   main-thread time handing blocks on towards the writer: dedup lookups, nonces,
 *               dispatch to and results from the compute threads, ordering, queueing the writes.
 * - writer:     a repository write is pending (the writer is busy).
 *
 * The bottleneck figure keeps the four stage keys of design.md §3.1 (`source`, `proxy`, `network`,
 * `target`), mapped in bottleneckOf. The largest share is `primary`.
 */
import { performance } from 'node:perf_hooks';

/** design.md §3.1's bottleneck keys (bottleneckOf says what each measures). */
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
  readonly sourceRead: BusyClock;
  readonly compute: SumClock;
  readonly handover: SumClock;
  readonly writer: BusyClock;
}

export function newStageClocks(): StageClocks {
  return {
    sourceRead: new BusyClock(),
    compute: new SumClock(),
    handover: new SumClock(),
    writer: new BusyClock(),
  };
}

const round3 = (x: number) => Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;

/**
 * Shares (0..1, three decimals) over `wallMs`; `cpuMs` is the process CPU time over `cores`.
 *
 * design.md §3.1's keys, and what each measures here (an in-process proxy and repository):
 * - source:  sourceRead busy ÷ wall: the share of time a source read was pending.
 * - proxy:   the proxy host's CPU load: CPU time of the whole process (every thread: compute,
 *            main thread, I/O syscalls) ÷ (wall × cores); 100 % means every core was busy with
 *            this backup. (The compute clock is reported apart, as busyMs.compute.)
 * - network: handover busy ÷ wall: the in-process hand-over that stands in for the proxy →
 *            repository link. There is no wire, so this stays low unless the main thread is the
 *            choke point.
 * - target:  writer busy ÷ wall: the share of time a repository write was pending.
 */
export function bottleneckOf(clocks: StageClocks, wallMs: number, cpuMs: number, cores: number): Bottleneck {
  const wall = Math.max(wallMs, 1e-6);
  const shares = {
    source: round3(clocks.sourceRead.busyMs / wall),
    proxy: round3(cpuMs / (wall * Math.max(1, cores))),
    network: round3(clocks.handover.busyMs / wall),
    target: round3(clocks.writer.busyMs / wall),
  };
  let primary: StageName = 'source';
  for (const k of ['proxy', 'network', 'target'] as const) if (shares[k] > shares[primary]) primary = k;
  return { ...shares, primary };
}
