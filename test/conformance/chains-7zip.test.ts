/**
 * Independent check of our differencing VHDX chains: qemu cannot open differencing VHDX, but 7-Zip
 * can flatten them. Its output must equal the golden sha256, which comes from the in-memory expected
 * data of native-fixtures/chains/make-chains.ts, not from our reader.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTool } from '../helpers/tools.js';

const chainsDir = new URL('../../native-fixtures/chains/', import.meta.url).pathname;
const chains = readdirSync(chainsDir)
  .filter((f) => f.endsWith('.json'))
  .map(
    (f) =>
      JSON.parse(readFileSync(join(chainsDir, f), 'utf8')) as {
        name: string;
        files: string[];
        top: string;
        flattenedSha256: string;
      },
  );
const work = mkdtempSync(join(tmpdir(), 'dm-7z-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!hasTool('7zz'))('differencing chains flattened by 7-Zip', () => {
  it.each(chains.map((c) => [c.name, c] as const))('%s equals its golden sha256', (_name, chain) => {
    const dir = join(work, chain.name);
    for (const f of chain.files) {
      execFileSync('mkdir', ['-p', dir]);
      writeFileSync(join(dir, f), gunzipSync(readFileSync(join(chainsDir, `${f}.gz`))));
    }
    execFileSync('7zz', ['x', '-y', join(dir, chain.top), `-o${join(dir, 'out')}`], { stdio: 'ignore' });
    const [flat] = readdirSync(join(dir, 'out'));
    expect(flat).toBeDefined();
    const sha = createHash('sha256')
      .update(readFileSync(join(dir, 'out', flat!)))
      .digest('hex');
    expect(sha).toBe(chain.flattenedSha256);
  });
});
