/**
 * Passwords and keys: wrong password → DM_ERR_CRYPTO_PASSWORD with nothing written; no password →
 * DM_ERR_CRYPTO_PASSWORD_REQUIRED; neither the password nor any key appears in an error message,
 * in `points` / verify output, or in any repository file.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeConfig, configWrapAad } from '../../src/format/config.js';
import { deriveKek, unwrapDataKey } from '../../src/repository/keys.js';
import { listPoints, openRepository } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import { buildFixtureRepo, copyRepo, flipBit, repoFiles } from './helpers/fixture-repo.js';
import type { FixtureRepo } from './helpers/fixture-repo.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const PASSWORD = 'S3cret-Passw0rd-for-tests';

async function snapshot(dir: string): Promise<string> {
  const files = await repoFiles(dir);
  const parts = await Promise.all(files.map(async (f) => `${f}:${(await stat(join(dir, f))).mtimeMs}`));
  return parts.join('\n');
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return p.then(
    () => ({ message: 'no error' }),
    (err: Error & { code?: string }) => err,
  );
}

describe('secrets', () => {
  let fx: FixtureRepo;
  let forbidden: string[];

  beforeAll(async () => {
    fx = await buildFixtureRepo(join(await tempDir(), 'repo'), PASSWORD);
    const repo = await openRepository(fx.dir, { password: PASSWORD });
    const cfgFile = join(fx.dir, 'config');
    const cfg = decodeConfig(new Uint8Array(await readFile(cfgFile)), cfgFile);
    const dataKey = unwrapDataKey(
      await deriveKek(PASSWORD, cfg.kdf, cfgFile),
      configWrapAad(cfg),
      cfg.wrapNonce,
      cfg.wrappedKey,
      cfg.wrapTag,
      cfgFile,
    );
    const keys = [dataKey, repo.keys!.identityKey].map((k) => Buffer.from(k));
    forbidden = [
      PASSWORD,
      ...keys.flatMap((k) => [k.toString('hex'), k.toString('base64'), k.toString('latin1')]),
    ];
  });

  const clean = (text: string) => {
    for (const s of forbidden) expect(text.includes(s)).toBe(false);
  };

  it('wrong password: DM_ERR_CRYPTO_PASSWORD, nothing written', async () => {
    const before = await snapshot(fx.dir);
    const err = await errorOf(openRepository(fx.dir, { password: 'wrong' }));
    expect(err.code).toBe('DM_ERR_CRYPTO_PASSWORD');
    clean(err.message);
    expect(await snapshot(fx.dir)).toBe(before);
    // create: true on an existing repository opens it, and the wrong password still fails.
    expect((await errorOf(openRepository(fx.dir, { create: true, password: 'wrong' }))).code).toBe(
      'DM_ERR_CRYPTO_PASSWORD',
    );
    expect(await snapshot(fx.dir)).toBe(before);
  });

  it('no password: DM_ERR_CRYPTO_PASSWORD_REQUIRED', async () => {
    expect((await errorOf(openRepository(fx.dir))).code).toBe('DM_ERR_CRYPTO_PASSWORD_REQUIRED');
  });

  it('no secret in points, verify or error output, nor in any repository file', async () => {
    const repo = await openRepository(fx.dir, { password: PASSWORD });
    const points = await listPoints(repo);
    expect(points).toHaveLength(2);
    clean(JSON.stringify(points));
    clean(JSON.stringify(await verifyRepository(repo)));
    for (const f of await repoFiles(fx.dir)) clean((await readFile(join(fx.dir, f))).toString('latin1'));
    // Errors from damaged files and bad requests.
    const dir = await tempDir();
    await copyRepo(fx.dir, join(dir, 'r'));
    const packs = (await readdir(join(dir, 'r', 'files', 'job1', 'packs'))).sort();
    await flipBit(join(dir, 'r', 'files', 'job1', 'packs', packs[0]!), 200);
    const damaged = await openRepository(join(dir, 'r'), { password: PASSWORD });
    const messages = [
      (await errorOf(restorePoint(damaged, { vm: 'vm1', point: points[0]!.id, out: join(dir, 'o.raw') })))
        .message,
      (await errorOf(restorePoint(damaged, { vm: 'nope', out: join(dir, 'o.raw') }))).message,
      JSON.stringify(await verifyRepository(damaged)),
    ];
    for (const m of messages) clean(m);
    await flipBit(join(dir, 'r', 'config'), 110);
    const cfgErr = await errorOf(openRepository(join(dir, 'r'), { password: PASSWORD }));
    expect(cfgErr.code).toBe('DM_ERR_REPO_CHECKSUM');
    clean(cfgErr.message);
  });
});

describe('creating an encrypted repository', () => {
  it('unlocks with the key it wrapped: the creator and a later opener derive the same keys', async () => {
    const dir = join(await tempDir(), 'repo');
    const created = await openRepository(dir, { create: true, password: PASSWORD, scryptLogN: 10 });
    const reopened = await openRepository(dir, { password: PASSWORD });
    const salt = new Uint8Array(32).fill(9);
    expect(Buffer.from(created.keys!.identityKey).equals(Buffer.from(reopened.keys!.identityKey))).toBe(true);
    expect(
      Buffer.from(created.keys!.deriveBlobKey(salt)).equals(Buffer.from(reopened.keys!.deriveBlobKey(salt))),
    ).toBe(true);
    // Opening it again with create: true and another password does not overwrite it.
    const err = await errorOf(openRepository(dir, { create: true, password: 'other', scryptLogN: 10 }));
    expect(err.code).toBe('DM_ERR_CRYPTO_PASSWORD');
  });
});
