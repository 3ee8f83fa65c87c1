import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prestartCount, prestartLevel } from '../../src/cli/prestart.js';
import { nativeFits } from '../../src/workers/native-fit.js';
import { BlockPool } from '../../src/workers/pool.js';
import { prestartComputeThreads } from '../../src/workers/prestart.js';
import { slotsHolding, textLike } from './data.js';

describe('prestartComputeThreads', () => {
  it('the next BlockPool adopts the started threads, and they do real work', async () => {
    prestartComputeThreads(2, 'high'); // zstd: worker threads whatever the addon
    const pool = new BlockPool({ threads: 3, maxInFlight: 3 });
    try {
      expect(pool.adoptedThreads).toBe(2); // the third one is its own
      const block = textLike(64 * 1024, 7);
      const slots = slotsHolding([block, block, block]);
      const results = await Promise.all(
        slots.map((slot) => pool.submit({ op: 'hash', identityKey: randomBytes(32).fill(1), slots: [slot] })),
      );
      const ids = results.map((r) => Buffer.from(r.identity(0)).toString('hex'));
      expect(new Set(ids).size).toBe(1); // every thread, adopted or not, hashes the same
    } finally {
      await pool.destroy();
    }
    // Spares are used once: a later pool starts its own.
    const later = new BlockPool({ threads: 1 });
    try {
      expect(later.adoptedThreads).toBe(0);
    } finally {
      await later.destroy();
    }
  });
});

describe.runIf(nativeFits('optimal', 2))('prestartComputeThreads for a native-engine job', () => {
  it('starts no threads: the job runs on the addon (the next BlockPool adopts none)', async () => {
    prestartComputeThreads(2, 'optimal');
    const pool = new BlockPool({ threads: 1 });
    try {
      expect(pool.adoptedThreads).toBe(0);
    } finally {
      await pool.destroy();
    }
  });
});

describe('prestartLevel (CLI argv)', () => {
  const argv = (...a: string[]) => ['node', 'datamover', ...a];
  it('reads --compression the way the backup command does (default optimal)', () => {
    expect(prestartLevel(argv('backup', '--repo', 'r'))).toBe('optimal');
    expect(prestartLevel(argv('backup', '--compression', 'high'))).toBe('high');
    expect(prestartLevel(argv('backup', '--compression=none'))).toBe('none');
    expect(prestartLevel(argv('backup', '--compression', 'fast'))).toBeUndefined(); // the parse reports it
  });
});

describe('prestartCount (CLI argv)', () => {
  const argv = (...a: string[]) => ['node', 'datamover', ...a];
  it('reads --threads the way the backup command does, and only for backup', () => {
    expect(prestartCount(argv('backup', '--repo', 'r', '--disk', 'd'))).toBe('default');
    expect(prestartCount(argv('backup', '--threads', '3'))).toBe(3);
    expect(prestartCount(argv('backup', '--threads=1'))).toBe(1);
    expect(prestartCount(argv('backup', '--threads', '0'))).toBe('none'); // inline compute
    expect(prestartCount(argv('backup', '--threads', 'x'))).toBe('none'); // the parse reports it
    expect(prestartCount(argv('restore', '--threads', '2'))).toBe('none');
    expect(prestartCount(argv('--version'))).toBe('none');
  });
});
