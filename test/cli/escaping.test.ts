/** Names from users, guests and repositories cannot forge output lines: they are printed escaped. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printable } from '../../src/cli/printable.js';
import { runCli, scratch, type Scratch } from '../hostile/scratch.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratch('dm-escaping-');
});
afterAll(() => s.cleanup());

describe('printable', () => {
  it('escapes control, separator and bidi characters, and backslashes unless asked to keep them', () => {
    expect(printable('a\nb\x1b[2J\u202ec')).toBe('a\\nb\\x1b[2J\\u{202e}c');
    expect(printable('C:\\x\n')).toBe('C:\\\\x\\n');
    expect(printable('\\Windows\\x\r', { keepBackslashes: true })).toBe('\\Windows\\x\\r');
    expect(printable('plain name-1.vhdx')).toBe('plain name-1.vhdx');
  });
});

describe('error lines', () => {
  it('an error naming a hostile job name is one line on stderr', async () => {
    const image = join(s.dir, 'disk.img');
    await writeFile(image, Buffer.alloc(1024 * 1024, 7));
    const forged = 'x\nDM_ERR_FAKE: all is well\u202e';
    const r = runCli(['backup', '--repo', join(s.dir, 'R'), '--disk', image, '--job', forged]);
    expect(r.status).toBe(2);
    expect(r.code).toBe('DM_ERR_ARG_INVALID');
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('x\\nDM_ERR_FAKE: all is well\\u{202e}');
  });
});
