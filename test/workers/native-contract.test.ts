import { afterEach, describe, expect, it, vi } from 'vitest';
import { ownAddon, type NativeFormatCheck } from '../../src/core/native.js';
import { EXPECTED_NATIVE_FORMAT, nativeFormatMismatches } from '../../src/workers/native-contract.js';

const addon = ownAddon();

/** An addon that agrees with the TypeScript layer, from the TypeScript encoders themselves. */
async function agreeing(): Promise<Required<NativeFormatCheck>> {
  const { encodeFrameHeader } = await import('../../src/format/frame.js');
  const { blobAad } = await import('../../src/core/blob.js');
  return {
    nativeFormat: { ...EXPECTED_NATIVE_FORMAT },
    frameHeader: (identity, codec, nonce, rawLength, payload) =>
      encodeFrameHeader(
        { identity, codec, nonce: nonce ?? undefined, rawLength, storedLength: payload.length },
        payload,
      ),
    blobAad: (identity, codec, rawLength) => blobAad(identity, codec as 0, rawLength),
  };
}

describe.runIf(addon?.sealBatch)('the built addon', () => {
  it('agrees with the TypeScript format layer: numbers, frame headers and GCM additional data', () => {
    expect(nativeFormatMismatches(addon!)).toEqual([]);
  });

  it('is found out when the TypeScript side drifts (a different magic, a different LZ4 codec id)', () => {
    const drifted = { ...EXPECTED_NATIVE_FORMAT, frameMagic: 0x46424d45, codecLz4: 4 };
    expect(nativeFormatMismatches(addon!, drifted)).toEqual([
      `frameMagic is ${EXPECTED_NATIVE_FORMAT.frameMagic} in C, ${0x46424d45} in TypeScript`,
      `codecLz4 is 2 in C, 4 in TypeScript`,
    ]);
  });
});

describe('nativeFormatMismatches', () => {
  it('accepts an addon that agrees, and names each drift: a number, a header byte, an AAD byte, an old build', async () => {
    const good = await agreeing();
    expect(nativeFormatMismatches(good)).toEqual([]);
    expect(nativeFormatMismatches({ ...good, nativeFormat: { ...good.nativeFormat, tagBytes: 12 } })).toEqual(
      ['tagBytes is 12 in C, 16 in TypeScript'],
    );
    const movedNonce: NativeFormatCheck['frameHeader'] = (...args) => {
      const h = good.frameHeader(...args);
      h.copyWithin(52, 48, 60); // the nonce four bytes later: a layout drift no number shows
      return h;
    };
    expect(nativeFormatMismatches({ ...good, frameHeader: movedNonce })).toEqual([
      "the frame header (codec 0, encrypted) differs from format/frame.ts's",
      "the frame header (codec 2, encrypted) differs from format/frame.ts's",
    ]);
    const bigEndian: NativeFormatCheck['blobAad'] = (identity, codec, rawLength) => {
      const aad = good.blobAad(identity, codec, rawLength);
      aad.subarray(33).reverse();
      return aad;
    };
    expect(nativeFormatMismatches({ ...good, blobAad: bigEndian })).toHaveLength(4);
    expect(nativeFormatMismatches({})).toEqual([
      'the addon exports no nativeFormat, frameHeader or blobAad (built from older sources)',
    ]);
  });
});

describe('formatAgrees (native-fit.ts)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it('refuses the native engine for a drifted addon with one warning, however often it is asked', async () => {
    vi.resetModules();
    const fit = await import('../../src/workers/native-fit.js');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const drifted = {
      ...(await agreeing()),
      nativeFormat: { ...EXPECTED_NATIVE_FORMAT, frameHeaderBytes: 64 },
    };
    expect(fit.formatAgrees(drifted)).toBe(false);
    expect(fit.formatAgrees(drifted)).toBe(false);
    expect(fit.nativeFits('optimal', 2)).toBeUndefined(); // the verdict holds for the thread
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /frameHeaderBytes is 64 in C, 72 in TypeScript.*worker threads/,
    );
  });
});
