/**
 * Opening one frame read back from a pack (checks, decrypt, decompress, optional re-hash). The code
 * lives in workers/frame-open.ts so the frame-run workers and the main-thread path share it.
 */
export { DecodeScratch, checkFrame, decodeFrame } from '../workers/frame-open.js';
export type { FrameKeys, FrameView } from '../workers/frame-open.js';
