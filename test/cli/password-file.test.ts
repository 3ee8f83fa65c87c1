/**
 * --password-file (issue 14, item 6): the first line of a regular file, at most 4096 bytes, read
 * without ever taking more than a few KiB; a FIFO, a device or a directory is refused at once
 * (DM_ERR_IO_NOT_REGULAR) instead of hanging or filling memory.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PASSWORD_LINE, readPasswordFile } from '../../src/index.js';
import { isRoot, makeSpecials, scratch, type Scratch } from '../hostile/scratch.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratch('dm-pw-');
});
afterAll(() => s.cleanup());

async function file(name: string, content: string | Buffer): Promise<string> {
  const p = join(s.dir, name);
  await writeFile(p, content);
  return p;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('readPasswordFile', () => {
  it('takes the first line without its ending (LF or CRLF)', async () => {
    expect(readPasswordFile(await file('a', 'secret\nsecond\n'))).toBe('secret');
    expect(readPasswordFile(await file('b', 'secret\r\nsecond'))).toBe('secret');
    expect(readPasswordFile(await file('c', 'no-newline'))).toBe('no-newline');
    expect(readPasswordFile(undefined)).toBeUndefined();
  });

  it(`accepts a line of exactly ${MAX_PASSWORD_LINE} bytes, refuses one byte more`, async () => {
    const max = 'p'.repeat(MAX_PASSWORD_LINE);
    expect(readPasswordFile(await file('max', `${max}\r\n`))).toBe(max);
    expect(readPasswordFile(await file('max-eof', max))).toBe(max);
    expect(codeOf(() => readPasswordFile(`${s.dir}/over-missing`))).toBe('DM_ERR_IO_OPEN');
    const over = await file('over', `${max}p\n`);
    expect(codeOf(() => readPasswordFile(over))).toBe('DM_ERR_ARG_INVALID');
  });

  it('an empty file or first line is refused', async () => {
    expect(codeOf(() => readPasswordFile(`${s.dir}/none`))).toBe('DM_ERR_IO_OPEN');
    const empty = await file('empty', '');
    const blank = await file('blank', '\nsecond\n');
    expect(codeOf(() => readPasswordFile(empty))).toBe('DM_ERR_ARG_INVALID');
    expect(codeOf(() => readPasswordFile(blank))).toBe('DM_ERR_ARG_INVALID');
  });

  it('a FIFO, a device, a directory: DM_ERR_IO_NOT_REGULAR without blocking; a symlink to a file is read', async () => {
    const target = await file('target', 'linked\n');
    const specials = await makeSpecials(join(s.dir, 'specials'), target);
    expect(readPasswordFile(specials.get('symlink'))).toBe('linked');
    // Opening a FIFO for reading blocks until a writer comes: the old reader hung here forever.
    expect(codeOf(() => readPasswordFile(specials.get('fifo')))).toBe('DM_ERR_IO_NOT_REGULAR');
    expect(codeOf(() => readPasswordFile(specials.get('directory')))).toBe('DM_ERR_IO_NOT_REGULAR');
    expect(codeOf(() => readPasswordFile(specials.get('dangling-symlink')))).toBe('DM_ERR_IO_OPEN');
    if (isRoot) {
      // A /dev/zero of our own: endless bytes without a line ending (the old reader grew past 16 GB).
      const zero = join(s.dir, 'zero');
      expect(spawnSync('mknod', [zero, 'c', '1', '5']).status).toBe(0);
      expect(codeOf(() => readPasswordFile(zero))).toBe('DM_ERR_IO_NOT_REGULAR');
      expect(codeOf(() => readPasswordFile(specials.get('chardev')))).toBe('DM_ERR_IO_NOT_REGULAR');
    }
  });
});
