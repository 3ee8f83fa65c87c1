/**
 * Blobs whose frame header was built by the sealing thread (SealedBlob.frameHeader): the writer
 * stores that header after checking it describes the blob, and refuses one that does not.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SealedBlob } from '../../src/core/blob.js';
import { encodeFrameHeader } from '../../src/format/frame.js';
import { openRepository, openWriter } from '../../src/repository/index.js';
import { restorePoint } from '../../src/pipeline/restore.js';
import { verifyRepository } from '../../src/pipeline/verify.js';
import { blockIdentity } from '../../src/compute/identity.js';
import { sealBlock } from '../../src/compute/seal.js';
import { codeOf } from './helpers/code-of.js';
import { makeDisk } from './helpers/disk.js';
import { cleanTempDirs, tempDir } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const BS = 256 * 1024;
const headerOf = (s: SealedBlob) => encodeFrameHeader({ ...s, storedLength: s.payload.length }, s.payload);

describe('worker-built frame headers', () => {
  it.each([false, true])('are stored as given and restore bit-exact (encrypted %s)', async (encrypted) => {
    const dir = await tempDir();
    const repo = await openRepository(join(dir, 'repo'), {
      create: true,
      ...(encrypted ? { password: 'pw', scryptLogN: 10 } : {}),
    });
    const disk = makeDisk(3, BS, 3, 0).fill(7, 0, BS); // block 0 compressible, the rest mixed
    const w = await openWriter(repo, 'job');
    const p = await w.beginPoint({ vm: 'v', disk: 0, virtualSize: disk.length, blockSize: BS, type: 'full' });
    const sealed: SealedBlob[] = [];
    for (let b = 0; b < 3; b++) {
      const data = disk.subarray(b * BS, (b + 1) * BS);
      const nonce = p.keys.nextNonce();
      const s = sealBlock(data, {
        level: 'optimal',
        identity: blockIdentity(data, p.keys.identityKey),
        ...(p.keys.blobKey && nonce ? { blobKey: p.keys.blobKey, nonce } : {}),
      });
      sealed.push(s);
    }
    // putBlob refuses bad arguments by throwing at once; as a promise here either way.
    const put = async (b: number, frameHeader: Uint8Array) => p.putBlob(b, { ...sealed[b]!, frameHeader });
    // Block 2 comes with block 1's header: refused, nothing of it stored.
    expect(await codeOf(put(2, headerOf(sealed[1]!)))).toBe('DM_ERR_INTERNAL');
    // A header whose own CRC fails is refused by the frame decoder.
    const bent = headerOf(sealed[0]!);
    bent[20]! ^= 1;
    expect(await codeOf(put(0, bent))).toBe('DM_ERR_REPO_CHECKSUM');
    for (let b = 0; b < 3; b++) await p.putBlob(b, { ...sealed[b]!, frameHeader: headerOf(sealed[b]!) });
    const info = await p.commit();
    await w.close();
    expect((await verifyRepository(repo)).problems).toEqual([]);
    const out = join(dir, 'out.raw');
    await restorePoint(repo, { vm: 'v', point: info.id, out });
    expect((await readFile(out)).equals(disk)).toBe(true);
  });
});
