/**
 * `datamover bench stages`: single-core speed of each compute stage on this machine, 1 MiB blocks
 * of mixed guest-like data (so compression numbers are realistic): zero check, identity hash
 * (plain and keyed BLAKE3), every compression level, AES-256-GCM. Each stage runs for at least
 * `minMs`; figures are bytes of input per second.
 */
import { performance } from 'node:perf_hooks';
import { COMPRESSION_LEVELS, blobAad } from '../core/blob.js';
import { dmError } from '../errors.js';
import { buildDictionaries } from '../fixtures/content/dictionary.js';
import { contentStream } from '../fixtures/content/kinds.js';
import { nonceFromCounter, sealInto } from '../workers/cipher/aes-gcm.js';
import { compressTransient } from '../workers/codecs/block-codec.js';
import { blockIdentity } from '../workers/identity.js';
import { isAllZero } from '../workers/zero.js';

export interface BenchStagesOptions {
  /** Milliseconds per stage (default 400). */
  readonly minMs?: number;
  /** Block size in bytes (default 1 MiB). */
  readonly blockSize?: number;
  readonly signal?: AbortSignal;
}

export interface StageSpeed {
  readonly stage: string;
  readonly bytesPerSec: number;
  /** Output ÷ input for compression rows. */
  readonly ratio?: number;
}

export interface BenchStagesResult {
  readonly blockSize: number;
  readonly stages: StageSpeed[];
}

function measure(minMs: number, bytes: number, fn: () => void, signal?: AbortSignal): number {
  fn(); // warm-up: JIT, codec contexts
  let n = 0;
  const t = performance.now();
  let elapsed = 0;
  do {
    fn();
    n++;
    elapsed = performance.now() - t;
    if (signal?.aborted) throw dmError('DM_ERR_ABORTED', 'bench was aborted');
  } while (elapsed < minMs);
  return Math.round((n * bytes) / (elapsed / 1000));
}

export async function benchStages(o: BenchStagesOptions = {}): Promise<BenchStagesResult> {
  const minMs = o.minMs ?? 400;
  const size = o.blockSize ?? 1024 * 1024;
  const blocks = Array.from({ length: 8 }, () => new Uint8Array(size));
  const stream = contentStream('program', 1, 'bench-stages', buildDictionaries(1));
  for (const b of blocks) stream.fill(b);
  let i = 0;
  const next = () => blocks[i++ % blocks.length]!;
  const key = new Uint8Array(32).fill(1);
  const zero = new Uint8Array(size);
  const out = new Uint8Array(size + 64);
  const stages: StageSpeed[] = [];
  const add = (stage: string, fn: () => void, ratio?: number) => {
    stages.push({ stage, bytesPerSec: measure(minMs, size, fn, o.signal), ...(ratio ? { ratio } : {}) });
  };
  add('zero check (all-zero block)', () => void isAllZero(zero));
  add('identity BLAKE3-256', () => void blockIdentity(next()));
  add('identity BLAKE3-256 keyed', () => void blockIdentity(next(), key));
  for (const level of COMPRESSION_LEVELS) {
    let inBytes = 0;
    let outBytes = 0;
    add(`compress ${level}`, () => {
      const c = compressTransient(level, next());
      inBytes += size;
      outBytes += c.data.length;
    });
    stages[stages.length - 1] = { ...stages.at(-1)!, ratio: Math.round((outBytes / inBytes) * 1000) / 1000 };
  }
  let counter = 0;
  const id = new Uint8Array(32);
  add(
    'AES-256-GCM',
    () => void sealInto(key, nonceFromCounter(counter++), blobAad(id, 0, size), next(), out, 0),
  );
  return { blockSize: size, stages };
}
