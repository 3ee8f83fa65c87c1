import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DmError, ERROR_CATALOG, exitCodeFor, fromWire, toWire } from '../src/errors.js';

describe('error catalog', () => {
  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const missing = Object.keys(ERROR_CATALOG).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('names file, offset and field in the message', () => {
    const err = new DmError('DM_ERR_VHDX_BAT', 'bad state 4', {
      location: { file: 'a.vhdx', offset: 0x200000, field: 'BAT[3]' },
    });
    expect(err.message).toBe('bad state 4 [a.vhdx, offset 2097152 (0x200000), field BAT[3]]');
    expect(exitCodeFor(err)).toBe(3);
  });

  it('survives the worker wire format with code and cause', () => {
    const inner = new DmError('DM_ERR_IO_READ', 'inner');
    const outer = new DmError('DM_ERR_CODEC', 'outer', { cause: inner });
    const back = fromWire(structuredClone(toWire(outer)));
    expect(back).toBeInstanceOf(DmError);
    expect(back.code).toBe('DM_ERR_CODEC');
    expect((back.cause as DmError).code).toBe('DM_ERR_IO_READ');
    expect(fromWire({ code: 'NOT_A_CODE', message: 'x' }).code).toBe('DM_ERR_INTERNAL');
    expect(exitCodeFor(new Error('plain'))).toBe(1);
  });

  it('keeps the location across the wire without naming it twice in the message', () => {
    const err = new DmError('DM_ERR_SOURCE_TRUNCATED', 'file ended', {
      location: { file: 'd.raw', offset: 512 },
    });
    const back = fromWire(structuredClone(toWire(err)));
    expect(back.location).toEqual({ file: 'd.raw', offset: 512 });
    expect(back.message).toBe(err.message);
  });
});
