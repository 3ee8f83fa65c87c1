/** Messages between the thread engine and its seal threads (buffers travel in the transferList). */
import type { CodecIdValue } from '../core/blob.js';
import type { ErrorCode } from '../errors.js';

export interface WireJob {
  readonly index: number;
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly identity?: Uint8Array;
  readonly nonce?: Uint8Array;
}

export interface WireBatch {
  readonly id: number;
  readonly op: 'seal' | 'hash';
  readonly jobs: WireJob[];
}

export interface WireResult {
  readonly index: number;
  readonly buffer: ArrayBuffer;
  readonly identity: Uint8Array;
  readonly codec: number | CodecIdValue;
  readonly rawLength: number;
  readonly payloadLength: number;
  readonly nonce?: Uint8Array;
}

export interface WireReply {
  readonly id: number;
  readonly jobs: WireResult[];
  readonly computeMs: number;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}
