/*
 * The frozen repository format as the addon's C code uses it: sizes, magic, codec ids, the frame
 * header layout, and the compression probe and read-map layouts seal-batch.c must match.
 *
 * The TypeScript format layer is the source of truth (src/format/constants.ts and
 * frame.ts, src/core/blob.ts, src/core/read-map.ts, src/compute/codecs/). These copies cannot
 * drift unnoticed: addon.c exports them (nativeFormat) together with this header's frame encoder
 * (frameHeader), and src/workers/native-contract.ts compares both with the TypeScript layer when
 * the native engine is first asked for; on any difference the engine is refused, with one warning
 * naming the fields, and backups run on the worker threads.
 */
#ifndef DATAMOVER_FORMAT_H
#define DATAMOVER_FORMAT_H

#define ID_BYTES 32          /* core/blob.ts IDENTITY_BYTES */
#define NONCE_BYTES 12       /* core/blob.ts NONCE_BYTES */
#define TAG_BYTES 16         /* core/blob.ts TAG_BYTES */
#define FRAME_BYTES 72       /* format/constants.ts FRAME_HEADER_SIZE */
#define FRAME_MAGIC 0x46424d44u /* format/constants.ts FRAME_MAGIC ("DMBF" as u32 LE) */
#define FLAG_ENCRYPTED 1     /* format/constants.ts FLAG_ENCRYPTED */
#define CODEC_NONE 0         /* core/blob.ts CodecId.none */
#define CODEC_LZ4 2          /* core/blob.ts CodecId.lz4 */
#define PREFIX_BYTES 4       /* codecs/lz4.ts LZ4_PREFIX_BYTES: the raw length before the LZ4 block */
#define PROBE_SLICE (16 * 1024) /* codecs/block-codec.ts PROBE_SLICE */
#define PROBE_MIN (8 * PROBE_SLICE) /* codecs/block-codec.ts PROBE_MIN */
#define SEGMENT_FIELDS 4     /* core/read-map.ts SEGMENT_FIELDS */
#define ZERO_FILL_FD (-1)    /* core/read-map.ts ZERO_FILL_FD */

/* Frame header offsets (format/frame.ts). */
#define AT_MAGIC 0
#define AT_CODEC 4
#define AT_FLAGS 5
#define AT_RAW_LENGTH 8
#define AT_STORED_LENGTH 12
#define AT_IDENTITY 16
#define AT_NONCE 48
#define AT_FRAME_CRC 64
#define AT_HEADER_CRC 68

#define AAD_BYTES (ID_BYTES + 5) /* core/blob.ts blobAad: identity, codec, raw length (u32 LE) */

#include <stdint.h>

/* seal-batch.c (x86-64 with SSE4.2: the frame CRCs use crc32c.c). */
void dm_frame_header(uint8_t *h, const uint8_t *id, int codec, const uint8_t *nonce, uint32_t raw,
                     const uint8_t *payload, uint32_t stored);
void dm_blob_aad(uint8_t *aad, const uint8_t *id, int codec, uint32_t raw);

#endif
