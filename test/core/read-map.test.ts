/**
 * Read maps (core/read-map.ts) and their executor (workers/read-map-exec.ts): which segments the
 * builder merges, and that running a map fills a buffer exactly, counts only the bytes it read,
 * and names the file when it shrank or the segment does not fit the buffer.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadMapBuilder, SEGMENT_FIELDS, ZERO_FILL_FD } from '../../src/core/read-map.js';
import type { DmError } from '../../src/errors.js';
import { executeReadMap } from '../../src/workers/read-map-exec.js';

/** Builds a map from [fd, fileOffset, length, bufOffset] tuples (no merging). */
const raw = (...segments: number[][]) => Float64Array.from(segments.flat());

function built(steps: (b: ReadMapBuilder) => void): number[][] {
  const b = new ReadMapBuilder();
  steps(b);
  const map = b.take();
  const out: number[][] = [];
  for (let i = 0; i < map.length; i += SEGMENT_FIELDS) out.push([...map.subarray(i, i + SEGMENT_FIELDS)]);
  return out;
}

describe('ReadMapBuilder', () => {
  it('merges preads of one fd contiguous in both the file and the buffer', () => {
    expect(
      built((b) => {
        b.push(7, 1000, 10, 0);
        b.push(7, 1010, 20, 10);
        b.push(7, 1030, 5, 30);
      }),
    ).toEqual([[7, 1000, 35, 0]]);
  });

  it('keeps segments apart when the file offset, the buffer offset or the fd jumps', () => {
    expect(
      built((b) => {
        b.push(7, 1000, 10, 0);
        b.push(7, 1011, 10, 10); // file gap
        b.push(7, 1021, 10, 21); // buffer gap
        b.push(7, 1009, 10, 31); // file offset goes back
        b.push(8, 1019, 10, 41); // other descriptor
      }),
    ).toEqual([
      [7, 1000, 10, 0],
      [7, 1011, 10, 10],
      [7, 1021, 10, 21],
      [7, 1009, 10, 31],
      [8, 1019, 10, 41],
    ]);
  });

  it('merges adjacent zero fills, never a zero fill with a pread', () => {
    expect(
      built((b) => {
        b.zero(10, 0);
        b.zero(6, 10);
        b.push(7, 16, 4, 16); // adjacent in the buffer, and file offset 16 = "zero's" 0 + 16
        b.zero(4, 20);
        b.zero(4, 25); // buffer gap
      }),
    ).toEqual([
      [ZERO_FILL_FD, 0, 16, 0],
      [7, 16, 4, 16],
      [ZERO_FILL_FD, 0, 4, 20],
      [ZERO_FILL_FD, 0, 4, 25],
    ]);
  });

  it('ignores empty segments, which neither appear nor break a merge', () => {
    expect(built((b) => b.push(7, 0, 0, 0))).toEqual([]);
    expect(
      built((b) => {
        b.push(7, 0, 8, 0);
        b.zero(0, 8);
        b.push(9, 8, 0, 8);
        b.push(7, 8, 8, 8);
      }),
    ).toEqual([[7, 0, 16, 0]]);
  });

  it('take() hands over the map and starts over', () => {
    const b = new ReadMapBuilder();
    b.push(7, 0, 8, 0);
    const first = b.take();
    expect(first).toBeInstanceOf(Float64Array);
    expect([...first]).toEqual([7, 0, 8, 0]);
    expect(b.take()).toHaveLength(0);
    b.push(7, 8, 8, 8); // would merge with the taken segment if the builder kept it
    expect([...b.take()]).toEqual([7, 8, 8, 8]);
    expect([...first]).toEqual([7, 0, 8, 0]);
  });
});

describe('executeReadMap', () => {
  let dir: string;
  let file: string;
  let fd: number;
  const content = randomBytes(300 * 1024);
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dm-readmap-'));
    file = path.join(dir, 'source.img');
    writeFileSync(file, content);
    fd = openSync(file, 'r');
  });
  afterAll(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills exactly the mapped bytes and returns the bytes read, zero fills excluded', () => {
    const buf = new Uint8Array(300 * 1024 + 64).fill(0xee);
    const map = raw(
      [fd, 100, 50, 3],
      [ZERO_FILL_FD, 0, 30, 53],
      [fd, 7000, 1000, 83],
      [fd, 0, 256 * 1024, 1200],
    );
    expect(executeReadMap(map, buf, { [fd]: file })).toBe(50 + 1000 + 256 * 1024);
    const want = new Uint8Array(buf.length).fill(0xee);
    want.set(content.subarray(100, 150), 3);
    want.fill(0, 53, 83);
    want.set(content.subarray(7000, 8000), 83);
    // 83 + 1000 = 1083: bytes 1083..1199 are not in the map and keep their old value.
    want.set(content.subarray(0, 256 * 1024), 1200);
    expect(Buffer.compare(buf, want)).toBe(0);
  });

  it('an empty map reads nothing and leaves the buffer alone', () => {
    const buf = new Uint8Array(16).fill(9);
    expect(executeReadMap(new Float64Array(0), buf, {})).toBe(0);
    expect(buf.every((b) => b === 9)).toBe(true);
  });

  it('refuses with DM_ERR_SOURCE_TRUNCATED, naming the file, when the file ends inside a segment', () => {
    const buf = new Uint8Array(4096);
    const at = content.length - 100;
    let err: DmError | undefined;
    try {
      executeReadMap(raw([fd, at, 400, 0]), buf, { [fd]: file });
    } catch (e) {
      err = e as DmError;
    }
    expect(err?.code).toBe('DM_ERR_SOURCE_TRUNCATED');
    expect(err?.location).toMatchObject({ file, offset: content.length });
    expect(err?.message).toContain(file);
    // The part that existed was read before the file ran out.
    expect(Buffer.compare(buf.subarray(0, 100), content.subarray(at))).toBe(0);
    // Wholly past the end, and a descriptor without a path (named by number).
    expect(() => executeReadMap(raw([fd, content.length + 4096, 10, 0]), buf, {})).toThrow(
      expect.objectContaining({
        code: 'DM_ERR_SOURCE_TRUNCATED',
        location: expect.objectContaining({ file: `fd ${fd}` }),
      }),
    );
  });

  it('refuses segments outside the buffer with DM_ERR_INTERNAL, writing nothing past it', () => {
    const buf = new Uint8Array(100).fill(5);
    for (const seg of [
      [fd, 0, 20, 90],
      [fd, 0, 10, -1],
      [ZERO_FILL_FD, 0, 101, 0],
    ]) {
      expect(() => executeReadMap(raw(seg), buf, { [fd]: file })).toThrow(
        expect.objectContaining({ code: 'DM_ERR_INTERNAL' }),
      );
    }
    expect(buf.every((b) => b === 5)).toBe(true);
    // The segment ending exactly at the buffer's end fits.
    expect(executeReadMap(raw([fd, 0, 20, 80]), buf, { [fd]: file })).toBe(20);
  });
});
