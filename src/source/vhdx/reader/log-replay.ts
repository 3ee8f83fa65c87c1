/**
 * Active-log handling at open (formats.md §1.9): find the active sequence and either replay it in
 * memory (an overlay on the file) or refuse with the qemu remedy. Never writes the image.
 */
import { dmError } from '../../../errors.js';
import { MiB, REGION1_OFFSET } from '../format/constants.js';
import { isZeroGuid } from '../format/guid.js';
import type { VhdxHeader } from '../format/header.js';
import { findActiveSequence } from '../format/log.js';
import type { ImageFile } from './image-file.js';
import { LogOverlay } from './log-overlay.js';

/** The log is read whole into memory to search it; larger logs are refused (qemu and Hyper-V default to 1 MiB). */
export const MAX_LOG_LENGTH = 64 * MiB;

export interface LogReplayInfo {
  readonly entries: number;
  readonly firstSequence: bigint;
  readonly headSequence: bigint;
}

export function replayLog(
  file: ImageFile,
  header: VhdxHeader,
  replay: boolean,
  warnings: string[],
): LogReplayInfo | undefined {
  if (isZeroGuid(header.logGuid) || header.logLength === 0) return undefined;
  const at = { file: file.path, offset: header.logOffset, field: 'Log' };
  if (header.logLength > MAX_LOG_LENGTH)
    throw dmError('DM_ERR_VHDX_LOG', `log of ${header.logLength} bytes is too large to replay in memory`, at);
  const log = file.readStruct(header.logOffset, header.logLength, 'Log');
  const seq = findActiveSequence(log, header.logGuid, { file: file.path, offset: header.logOffset });
  if (seq.length === 0) {
    warnings.push(
      `LogGuid ${header.logGuid} is set but the log holds no valid sequence: opened without replay`,
    );
    return undefined;
  }
  const head = seq[seq.length - 1]!;
  if (!replay) {
    throw dmError(
      'DM_ERR_VHDX_LOG_ACTIVE',
      `the image has an active log (${seq.length} entries, head sequence ${head.sequenceNumber}) that must be replayed first; ` +
        `to replay it, run: qemu-img check -r all '${file.path}' (this writes the image), or open it with log replay enabled`,
      at,
    );
  }
  let lastFileOffset = 0;
  for (const e of seq) {
    if (e.flushedFileOffset > file.size)
      throw dmError(
        'DM_ERR_VHDX_LOG',
        `log entry ${e.sequenceNumber} expects the file to hold ${e.flushedFileOffset} bytes; it is truncated`,
        at,
      );
    for (const d of e.descriptors) {
      if (d.fileOffset < REGION1_OFFSET)
        throw dmError(
          'DM_ERR_VHDX_LOG',
          `log entry ${e.sequenceNumber} writes the header section at ${d.fileOffset}`,
          at,
        );
    }
    lastFileOffset = Math.max(lastFileOffset, e.lastFileOffset);
  }
  file.overlay = new LogOverlay(seq);
  file.logicalSize = Math.max(file.size, Math.ceil(lastFileOffset / MiB) * MiB);
  warnings.push(
    `replayed ${seq.length} log entries in memory (sequence ${seq[0]!.sequenceNumber}..${head.sequenceNumber}); the file was not modified`,
  );
  return { entries: seq.length, firstSequence: seq[0]!.sequenceNumber, headSequence: head.sequenceNumber };
}
