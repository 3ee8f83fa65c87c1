/**
 * The `npm start` job: the most complete end-to-end run the product offers, on an embedded default,
 * writing only under a fresh temp directory that it removes afterwards (unless `keep`).
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dmError } from '../errors.js';
import { convert } from './convert.js';
import { inspect, type InspectResult } from './inspect.js';

export interface DemoOptions {
  /** Size of the demo disk (default 256 MiB). */
  readonly diskSize?: number;
  /** Keep the work directory and report its path. */
  readonly keep?: boolean;
  readonly onStep?: (step: DemoStep) => void;
}

export interface DemoStep {
  readonly name: string;
  readonly detail: string;
  readonly durationMs: number;
}

export interface DemoResult {
  readonly workDir: string | undefined;
  readonly steps: readonly DemoStep[];
  readonly inspect: InspectResult;
  readonly roundTripExact: boolean;
}

const MiB = 1024 * 1024;

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const size = options.diskSize ?? 256 * MiB;
  const dir = await mkdtemp(join(tmpdir(), 'datamover-demo-'));
  const steps: DemoStep[] = [];
  const step = async <T>(name: string, run: () => Promise<T>, detail: (r: T) => string): Promise<T> => {
    const t0 = performance.now();
    const r = await run();
    const s = { name, detail: detail(r), durationMs: Math.round(performance.now() - t0) };
    steps.push(s);
    options.onStep?.(s);
    return r;
  };
  try {
    const raw = join(dir, 'disk.raw');
    const vhdx = join(dir, 'disk.vhdx');
    const back = join(dir, 'disk-back.raw');
    await step(
      'make image',
      () => writeDemoImage(raw, size),
      (n) => `${raw}: ${n} MiB with data, zero runs and holes`,
    );
    await step(
      'convert raw -> vhdx',
      () => convert({ image: raw, out: vhdx, to: 'vhdx' }),
      (r) => `${vhdx}: ${r.bytesWritten} data bytes`,
    );
    const info = await step(
      'inspect',
      () => inspect(vhdx),
      (r) =>
        `${r.format} ${r.subformat}, block ${r.blockSize}, ${r.blockStates?.fullyPresent} blocks present`,
    );
    await step(
      'convert vhdx -> raw',
      () => convert({ image: vhdx, out: back, to: 'raw' }),
      (r) => `${back}: read ${r.bytesRead} bytes`,
    );
    const exact = await step(
      'compare',
      async () => (await sha256(raw)) === (await sha256(back)),
      (ok) => (ok ? 'bit-exact round trip' : 'MISMATCH'),
    );
    if (!exact) throw dmError('DM_ERR_INTERNAL', 'demo round trip is not bit-exact', { file: back });
    return { workDir: options.keep ? dir : undefined, steps, inspect: info, roundTripExact: exact };
  } finally {
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** A disk with text-like compressible runs, random data, zero runs and never-written holes. */
async function writeDemoImage(path: string, size: number): Promise<number> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    const block = Buffer.alloc(MiB);
    const text = Buffer.from('datamover demo: the quick brown fox jumps over the lazy dog 0123456789\n');
    let written = 0;
    for (let off = 0, i = 0; off < size; off += MiB, i++) {
      const kind = i % 8;
      if (kind === 3 || kind === 6) continue; // holes
      if (kind === 5) block.fill(0);
      else if (kind === 1 || kind === 4) randomFillSync(block);
      else for (let p = 0; p < MiB; p += text.length) text.copy(block, p, 0, Math.min(text.length, MiB - p));
      await fh.write(block, 0, Math.min(MiB, size - off), off);
      written++;
    }
    return written;
  } finally {
    await fh.close();
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
