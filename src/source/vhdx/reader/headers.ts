/**
 * Reads both VHDX headers and picks the current one (formats.md §1.4): valid = signature + CRC +
 * version; the greater sequence number wins; equal numbers only when the copies are byte-identical.
 */
import { dmError, isDmError } from '../../../errors.js';
import { HEADER1_OFFSET, HEADER2_OFFSET, HEADER_SIZE, MiB } from '../format/constants.js';
import { decodeHeader, type VhdxHeader } from '../format/header.js';
import type { ImageFile } from './image-file.js';

export interface HeaderSlot {
  readonly slot: 1 | 2;
  readonly offset: number;
  readonly header: VhdxHeader | undefined;
  /** Why the slot is invalid, when it is. */
  readonly error: string | undefined;
}

export interface HeaderChoice {
  readonly slots: readonly [HeaderSlot, HeaderSlot];
  readonly current: 1 | 2;
  readonly header: VhdxHeader;
}

function readSlot(file: ImageFile, slot: 1 | 2): { info: HeaderSlot; raw: Uint8Array | undefined } {
  const offset = slot === 1 ? HEADER1_OFFSET : HEADER2_OFFSET;
  if (offset + HEADER_SIZE > file.size) {
    return { info: { slot, offset, header: undefined, error: 'past the end of the file' }, raw: undefined };
  }
  const raw = new Uint8Array(HEADER_SIZE);
  file.readSync(raw, 0, HEADER_SIZE, offset, `Header${slot}`);
  try {
    return {
      info: { slot, offset, header: decodeHeader(raw, { file: file.path, offset }), error: undefined },
      raw,
    };
  } catch (err) {
    if (!isDmError(err)) throw err;
    return { info: { slot, offset, header: undefined, error: err.message }, raw };
  }
}

export function chooseHeader(file: ImageFile): HeaderChoice {
  const a = readSlot(file, 1);
  const b = readSlot(file, 2);
  const slots = [a.info, b.info] as const;
  const h1 = a.info.header;
  const h2 = b.info.header;
  let current: 1 | 2;
  if (!h1 && !h2) {
    throw dmError('DM_ERR_VHDX_HEADER', `neither header is valid (1: ${a.info.error}; 2: ${b.info.error})`, {
      file: file.path,
      offset: HEADER1_OFFSET,
      field: 'Header',
    });
  } else if (!h2) current = 1;
  else if (!h1) current = 2;
  else if (h1.sequenceNumber === h2.sequenceNumber) {
    if (!Buffer.from(a.raw!).equals(Buffer.from(b.raw!))) {
      throw dmError(
        'DM_ERR_VHDX_HEADER',
        `both headers have sequence number ${h1.sequenceNumber} but differ`,
        {
          file: file.path,
          offset: HEADER2_OFFSET,
          field: 'SequenceNumber',
        },
      );
    }
    current = 1;
  } else current = h1.sequenceNumber > h2.sequenceNumber ? 1 : 2;
  const header = (current === 1 ? h1 : h2)!;
  validateHeaderFields(header, file.path, current === 1 ? HEADER1_OFFSET : HEADER2_OFFSET);
  return { slots, current, header };
}

/** Checks of the current header's log fields (LogVersion 0; log offset/length in whole MiB). */
function validateHeaderFields(h: VhdxHeader, file: string, offset: number): void {
  if (h.logVersion !== 0)
    throw dmError('DM_ERR_VHDX_HEADER', `log version is ${h.logVersion}, expected 0`, {
      file,
      offset,
      field: 'LogVersion',
    });
  if (h.logLength === 0) return;
  if (h.logLength % MiB !== 0)
    throw dmError('DM_ERR_VHDX_HEADER', `log length ${h.logLength} is not a multiple of 1 MiB`, {
      file,
      offset,
      field: 'LogLength',
    });
  if (h.logOffset < MiB || h.logOffset % MiB !== 0)
    throw dmError('DM_ERR_VHDX_HEADER', `log offset ${h.logOffset} is not a 1 MiB multiple ≥ 1 MiB`, {
      file,
      offset,
      field: 'LogOffset',
    });
}
