import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'dm-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI from its TypeScript sources, so the test needs no prior build. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fixture(name: string): {
  path: string;
  golden: { rawSha256: string; virtualSize: number; blockSize: number };
} {
  const dir = join(root, 'native-fixtures/vhdx');
  const path = join(work, `${name}.vhdx`);
  writeFileSync(path, gunzipSync(readFileSync(join(dir, `${name}.vhdx.gz`))));
  return { path, golden: JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) };
}

describe('datamover inspect / convert', () => {
  it('inspect --json prints exactly one JSON document with the geometry of a qemu image', () => {
    const { path, golden } = fixture('dyn-8m-scatter');
    const r = cli('inspect', path, '--json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('vhdx');
    expect(doc.subformat).toBe('dynamic');
    expect(doc.virtualSize).toBe(golden.virtualSize);
    expect(doc.blockSize).toBe(golden.blockSize);
    expect(doc.allocation.present + doc.allocation.zero + doc.allocation.absent).toBe(golden.virtualSize);
    expect(doc.blockStates.fullyPresent).toBeGreaterThan(0);
  });

  it('convert vhdx -> raw -> vhdx keeps every byte (checked against the qemu golden sha256)', () => {
    const { path, golden } = fixture('dyn-1m-odd');
    const raw = join(work, 'odd.raw');
    const vhdx = join(work, 'odd.vhdx');
    const back = join(work, 'odd-back.raw');
    expect(cli('convert', path, '-o', raw, '--json').status).toBe(0);
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(sha(raw)).toBe(golden.rawSha256);
    const toVhdx = cli('convert', raw, '-o', vhdx, '--block-size', '2MiB', '--subformat', 'fixed', '--json');
    expect(toVhdx.status).toBe(0);
    expect(JSON.parse(toVhdx.stdout).to).toBe('vhdx');
    expect(JSON.parse(cli('inspect', vhdx, '--json').stdout)).toMatchObject({
      subformat: 'fixed',
      blockSize: 2 * 1024 * 1024,
    });
    expect(cli('convert', vhdx, '-o', back).status).toBe(0);
    expect(sha(back)).toBe(golden.rawSha256);
  });

  it('fails with a DM_ERR code on stderr, nothing on stdout, and the code family exit status', () => {
    const missing = cli('inspect', join(work, 'nope.vhdx'), '--json');
    expect(missing.status).toBe(6);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^DM_ERR_IO_OPEN: .*nope\.vhdx/);
    const bad = cli('convert', join(work, 'x'), '-o', join(work, 'y'), '--block-size', 'lots');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^DM_ERR_ARG_SIZE: --block-size "lots"/);
    const junk = join(work, 'junk.vhdx');
    writeFileSync(junk, Buffer.concat([Buffer.from('vhdxfile'), Buffer.alloc(2 * 1024 * 1024)]));
    const corrupt = cli('inspect', junk);
    expect(corrupt.status).toBe(3);
    expect(corrupt.stderr).toMatch(/^DM_ERR_VHDX_HEADER/);
  });

  it('demo --json runs the npm start job end to end', () => {
    const r = cli('demo', '--json', '--disk-size', '256MiB');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.files.mismatched).toEqual([]);
    expect(doc.files.identical).toBeGreaterThan(10);
    expect(doc.files.excludedZeroed).toBe(2);
    expect(doc.backup.stats.readBytes).toBeLessThan(doc.backup.stats.processedBytes);
    expect(doc.steps.map((s: { name: string }) => s.name)).toEqual([
      'generate guest disk',
      'inspect',
      'backup',
      'points',
      'verify',
      'restore',
      'check guest files',
    ]);
  });
});
