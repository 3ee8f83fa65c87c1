/**
 * Golden bytes for every repository structure (docs/repository-format.md §3-§5). If one of these
 * fails, the on-disk format changed: that is a format break, not a test to update.
 */
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/format/bytes.js';
import { decodeConfig, encodeConfig } from '../../src/format/config.js';
import type { RepoConfig } from '../../src/format/config.js';
import {
  BLOB_ENTRY_SIZE,
  CONFIG_SIZE,
  ENVELOPE_HEADER_SIZE,
  FRAME_HEADER_SIZE,
  PACK_ENTRY_SIZE,
  PACK_HEADER_SIZE,
  POINT_FIXED_SIZE,
  POINT_MAGIC,
} from '../../src/format/constants.js';
import { encodeEnvelopeHeader, openEnvelope, sealEnvelope } from '../../src/format/envelope.js';
import { decodeFrameHeader, encodeFrameHeader, frameCrcMatches } from '../../src/format/frame.js';
import { decodeManifest, encodeManifest } from '../../src/format/manifest.js';
import type { PointManifest } from '../../src/format/manifest.js';
import { decodePackHeader, encodePackHeader } from '../../src/format/pack-header.js';

const seq = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T = 1_700_000_000_000;

const config: RepoConfig = {
  version: 1,
  encrypted: true,
  repoId: seq(16, 1),
  createdMs: T,
  kdf: { id: 1, p1: 17, p2: 8, p3: 1, salt: seq(32, 0x20) },
  wrapNonce: seq(12, 0x40),
  wrappedKey: seq(32, 0x50),
  wrapTag: seq(16, 0x70),
};
const CONFIG_GOLDEN =
  '444d5245504f0d0a01000100a00000000102030405060708090a0b0c0d0e0f100068e5cf8b01000001000000110000000800000001000000' +
  '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b505152535455565758595a5b' +
  '5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f0000000000000000966d0d4f';

const PACK_GOLDEN =
  '444d5041434b0d0a0100010050000000a0a1a2a3a4a5a6a70300000000000000b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7' +
  'c8c9cacbcccdcecf0068e5cf8b0100000000000033e2f0ae';

const FRAME_GOLDEN =
  '444d4246020100000000100005000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f606162636465666768' +
  '696a6b000000005c5441008039b67c';

const ENVELOPE_GOLDEN =
  '444d504f494e0d0a010000005000000003000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '00000000000000000000000000000000b0238adaa9e17dd1';

const manifest: PointManifest = {
  id: seq(8, 1),
  parent: seq(8, 9),
  type: 'incremental',
  disk: 2,
  blockSize: 1048576,
  virtualSize: 3 * 1048576 + 4096,
  createdMs: T,
  vm: 'sql01',
  changeId: 'rct:42',
  backupFile: 'job1',
  stats: {
    processedBytes: 1,
    readBytes: 2,
    transferredBytes: 3,
    storedBytes: 4,
    newBlobs: 5,
    duplicateBlocks: 6,
    zeroBlocks: 7,
    skippedBlocks: 8,
  },
  packs: [{ sessionId: seq(8, 0xa0), seq: 0, validLength: 4096 }],
  blobs: [{ pack: 0, frameLength: 100, offset: 80, identity: seq(32, 0x10) }],
  blocks: Uint32Array.of(0, 0xffffffff, 0xfffffffe, 0),
};
const MANIFEST_GOLDEN =
  '0102030405060708090a0b0c0d0e0f10010002000000100000103000000000000068e5cf8b010000040000000100000001000000000000000100' +
  '000000000000020000000000000003000000000000000400000000000000050000000000000006000000000000000700000000000000080000' +
  '00000000000500060004000000' +
  '73716c30317263743a34326a6f623100' +
  'a0a1a2a3a4a5a6a7000000000000000000100000000000000000000064000000500000000000000010111213141516171819' +
  '1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f' +
  '00000000fffffffffeffffff00000000';

describe('repository format: sizes', () => {
  it('has the frozen structure sizes', () => {
    expect([CONFIG_SIZE, PACK_HEADER_SIZE, FRAME_HEADER_SIZE, ENVELOPE_HEADER_SIZE]).toEqual([
      160, 80, 72, 80,
    ]);
    expect([POINT_FIXED_SIZE, PACK_ENTRY_SIZE, BLOB_ENTRY_SIZE]).toEqual([128, 24, 48]);
    expect(encodeConfig(config).length).toBe(CONFIG_SIZE);
  });

  it('uses CRC-32C (Castagnoli), known answer for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('repository format: golden bytes and round trips', () => {
  it('config', () => {
    const bytes = encodeConfig(config);
    expect(hex(bytes)).toBe(CONFIG_GOLDEN);
    expect(decodeConfig(bytes, 'config')).toEqual(config);
  });

  it('pack header', () => {
    const h = { encrypted: true, sessionId: seq(8, 0xa0), seq: 3, salt: seq(32, 0xb0), createdMs: T };
    const bytes = encodePackHeader(h);
    expect(hex(bytes)).toBe(PACK_GOLDEN);
    expect(decodePackHeader(bytes, 'p')).toEqual(h);
  });

  it('blob frame header, CRC over header and payload', () => {
    const payload = Uint8Array.of(1, 2, 3, 4, 5);
    const fields = {
      identity: seq(32, 0x10),
      codec: 2,
      rawLength: 1048576,
      storedLength: 5,
      nonce: seq(12, 0x60),
    };
    const bytes = encodeFrameHeader(fields, payload);
    expect(hex(bytes)).toBe(FRAME_GOLDEN);
    const back = decodeFrameHeader(bytes, 'p', 0);
    expect(back).toMatchObject({ codec: 2, rawLength: 1048576, storedLength: 5, encrypted: true });
    expect(hex(back.identity)).toBe(hex(fields.identity));
    expect(frameCrcMatches(bytes, payload)).toBe(true);
    expect(frameCrcMatches(bytes, Uint8Array.of(1, 2, 3, 4, 4))).toBe(false);
  });

  it('metadata envelope header', () => {
    const h = encodeEnvelopeHeader(POINT_MAGIC, {
      version: 1,
      encrypted: false,
      bodyLength: 3,
      salt: new Uint8Array(32),
      nonce: new Uint8Array(12),
    });
    sealEnvelope(h, Uint8Array.of(7, 8, 9));
    expect(hex(h)).toBe(ENVELOPE_GOLDEN);
    const file = Buffer.concat([h, Uint8Array.of(7, 8, 9)]);
    expect([...openEnvelope(file, POINT_MAGIC, 1, 'f', 'manifest').body]).toEqual([7, 8, 9]);
  });

  it('point manifest body', () => {
    const bytes = encodeManifest(manifest);
    expect(hex(bytes)).toBe(MANIFEST_GOLDEN);
    expect(decodeManifest(bytes, 'm')).toEqual(manifest);
  });
});

describe('repository format: versions, flags and forged fields', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return 'no error';
  };
  /** Sets a u16 and re-seals the CRC at crcAt (so only the semantic check can object). */
  const patch = (buf: Uint8Array, at: number, v: number, crcAt: number) => {
    const b = Uint8Array.from(buf);
    const dv = new DataView(b.buffer);
    dv.setUint16(at, v, true);
    dv.setUint32(crcAt, crc32c(b.subarray(0, crcAt)), true);
    return b;
  };

  it('refuses a newer version and unknown required flags, ignores unknown optional flags', () => {
    const pack = encodePackHeader({
      encrypted: false,
      sessionId: seq(8, 0),
      seq: 0,
      salt: new Uint8Array(32),
      createdMs: 0,
    });
    expect(code(() => decodePackHeader(patch(pack, 8, 2, 76), 'p'))).toBe('DM_ERR_REPO_VERSION');
    expect(code(() => decodePackHeader(patch(pack, 10, 0x0002, 76), 'p'))).toBe('DM_ERR_REPO_VERSION');
    expect(decodePackHeader(patch(pack, 10, 0x0100, 76), 'p').encrypted).toBe(false);
    const cfg = encodeConfig(config);
    expect(code(() => decodeConfig(patch(cfg, 8, 9, 156), 'c'))).toBe('DM_ERR_REPO_VERSION');
  });

  it('detects bad magic and CRC', () => {
    const pack = encodePackHeader({
      encrypted: false,
      sessionId: seq(8, 0),
      seq: 0,
      salt: new Uint8Array(32),
      createdMs: 0,
    });
    const badMagic = Uint8Array.from(pack);
    badMagic[0] = badMagic[0]! ^ 1;
    expect(code(() => decodePackHeader(badMagic, 'p'))).toBe('DM_ERR_REPO_FORMAT');
    const badCrc = Uint8Array.from(pack);
    badCrc[40] = badCrc[40]! ^ 1;
    expect(code(() => decodePackHeader(badCrc, 'p'))).toBe('DM_ERR_REPO_CHECKSUM');
  });

  it('rejects a manifest whose sizes do not add up, before allocating', () => {
    const bytes = encodeManifest(manifest);
    const forged = Uint8Array.from(bytes);
    new DataView(forged.buffer).setUint32(40, 0x0fffffff, true); // block count
    expect(code(() => decodeManifest(forged, 'm'))).toBe('DM_ERR_REPO_FORMAT');
    const bigSize = Uint8Array.from(bytes);
    new DataView(bigSize.buffer).setUint32(28, 0xffffffff, true); // virtual size high word
    expect(code(() => decodeManifest(bigSize, 'm'))).toBe('DM_ERR_REPO_FORMAT');
  });

  it('rejects a frame with an out-of-range stored length even with a valid header CRC', () => {
    const h = encodeFrameHeader(
      { identity: seq(32, 0), codec: 0, rawLength: 10, storedLength: 0x7fffffff, nonce: undefined },
      new Uint8Array(0),
    );
    expect(code(() => decodeFrameHeader(h, 'p', 0))).toBe('DM_ERR_REPO_FORMAT');
  });
});
