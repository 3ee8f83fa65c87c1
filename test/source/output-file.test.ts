/**
 * OutputTemp (source/output-file.ts): the temp is created exclusively, published without clobbering
 * (a file that appeared meanwhile stays), forced only over a regular file, and discarded only when
 * this process created it. createVhdx({ exclusive }) never truncates an existing file.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_TAG, OutputTemp, checkOutputPath } from '../../src/source/output-file.js';
import { convertImage } from '../../src/source/convert.js';
import { openImage } from '../../src/source/open-image.js';
import { createVhdx } from '../../src/source/vhdx/writer/vhdx-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dm-output-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function written(out: string, force: boolean, text: string): Promise<OutputTemp> {
  const temp = await OutputTemp.prepare(out, force);
  const fh = await temp.create();
  await fh.writeFile(text);
  await fh.close();
  return temp;
}

describe('OutputTemp', () => {
  it('publishes to a missing name and leaves no temp', async () => {
    const out = join(dir, 'a.raw');
    await (await written(out, false, 'new')).publish();
    expect(await readFile(out, 'utf8')).toBe('new');
    expect((await readdir(dir)).filter((n) => n.startsWith('.a.raw'))).toEqual([]);
  });

  it('does not replace a file that appeared meanwhile (no force): DM_ERR_OUTPUT_EXISTS, temp removed', async () => {
    const out = join(dir, 'b.raw');
    const temp = await written(out, false, 'new');
    await writeFile(out, 'appeared');
    await expect(temp.publish()).rejects.toMatchObject({ code: 'DM_ERR_OUTPUT_EXISTS' });
    expect(await readFile(out, 'utf8')).toBe('appeared');
    expect((await readdir(dir)).filter((n) => n.startsWith('.b.raw'))).toEqual([]);
  });

  it('with force replaces a regular file, never a FIFO that took its place', async () => {
    const out = join(dir, 'c.raw');
    await writeFile(out, 'old');
    await (await written(out, true, 'new')).publish();
    expect(await readFile(out, 'utf8')).toBe('new');

    const temp = await written(out, true, 'newer');
    await rm(out);
    expect(spawnSync('mkfifo', [out]).status).toBe(0);
    await expect(temp.publish()).rejects.toMatchObject({ code: 'DM_ERR_OUTPUT_REFUSED' });
    expect(lstatSync(out).isFIFO()).toBe(true);
    expect((await readdir(dir)).filter((n) => n.startsWith('.c.raw'))).toEqual([]);
  });

  it('never opens an existing file as its temp, and discard then leaves that file alone', async () => {
    const out = join(dir, 'd.raw');
    const temp = await OutputTemp.prepare(out, false);
    await writeFile(temp.path, 'someone else');
    await expect(temp.create()).rejects.toMatchObject({ code: 'DM_ERR_OUTPUT_EXISTS' });
    await temp.discard();
    expect(await readFile(temp.path, 'utf8')).toBe('someone else');
  });

  it('names temps .<name>.partial-<pid>-<host tag>-<8 hex>', async () => {
    const temp = await OutputTemp.prepare(join(dir, 'e.raw'), false);
    expect(temp.path).toMatch(new RegExp(`/\\.e\\.raw\\.partial-${process.pid}-${HOST_TAG}-[0-9a-f]{8}$`));
  });
});

describe('checkOutputPath', () => {
  it('refuses a path that ends in a slash (it names a directory), existing or not', async () => {
    for (const out of [join(dir, 'not-yet') + '/', dir + '/'])
      await expect(checkOutputPath(out, true)).rejects.toMatchObject({ code: 'DM_ERR_OUTPUT_REFUSED' });
  });
});

describe('createVhdx({ exclusive: true })', () => {
  it('refuses an existing file and leaves it as it was', async () => {
    const p = join(dir, 'existing.vhdx');
    await writeFile(p, 'not to be truncated');
    await expect(createVhdx(p, { virtualSize: 1024 * 1024, exclusive: true })).rejects.toMatchObject({
      code: 'DM_ERR_OUTPUT_EXISTS',
    });
    expect(await readFile(p, 'utf8')).toBe('not to be truncated');
  });
});

describe("convertImage without the job's up-front check", () => {
  it('still never replaces a FIFO, even forced, and leaves no temp', async () => {
    const input = join(dir, 'in.raw');
    await writeFile(input, Buffer.alloc(4096, 7));
    const fifo = join(dir, 'out-fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const source = await openImage(input);
    try {
      for (const force of [false, true])
        await expect(convertImage(source, fifo, { to: 'raw', force })).rejects.toMatchObject({
          code: force ? 'DM_ERR_OUTPUT_REFUSED' : 'DM_ERR_OUTPUT_EXISTS',
        });
    } finally {
      await source.close();
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect((await readdir(dir)).filter((n) => n.startsWith('.out-fifo.partial-'))).toEqual([]);
  });
});
