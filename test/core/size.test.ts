import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../src/core/size.js';

describe('sizes', () => {
  it('parses binary and decimal units and plain bytes', () => {
    expect(parseSize('4GiB')).toBe(4 * 1024 ** 3);
    expect(parseSize('1MiB')).toBe(1024 ** 2);
    expect(parseSize('512KiB')).toBe(512 * 1024);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('1MB')).toBe(1_000_000);
    expect(parseSize(' 2 m ')).toBe(2 * 1024 ** 2);
  });

  it('names the argument in errors', () => {
    expect(() => parseSize('lots', '--block-size')).toThrow(/--block-size "lots" is not a size/);
    expect(() => parseSize('1.5')).toThrow(/not a whole number of bytes/);
    expect(() => parseSize(-1)).toThrow(/whole number of bytes/);
  });

  it('formats in the largest unit with two decimals', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1536)).toBe('1.50 KiB');
    expect(formatSize(91374172)).toBe('87.14 MiB');
    expect(formatSize(4 * 1024 ** 3)).toBe('4 GiB');
  });
});
