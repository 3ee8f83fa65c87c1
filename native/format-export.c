/*
 * The addon's copy of the format (format.h) for src/workers/native-contract.ts to compare with the
 * TypeScript format layer:
 *
 *   nativeFormat: { identityBytes, nonceBytes, tagBytes, frameHeaderBytes, frameMagic, ... }
 *   frameHeader(identity, codec, nonce | null, rawLength, payload) -> Uint8Array(FRAME_BYTES)
 *   blobAad(identity, codec, rawLength) -> Uint8Array(AAD_BYTES)
 *
 * The two functions run seal-batch.c's own encoders (x86-64 with SSE4.2, as sealBatch), so the
 * header layout and the GCM additional data are compared by their bytes, not by a table of offsets.
 */
#include <string.h>
#include "addon.h"
#include "format.h"

static void put_number(napi_env env, napi_value o, const char *name, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, o, name, v);
}

napi_value dm_native_format(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  put_number(env, o, "identityBytes", ID_BYTES);
  put_number(env, o, "nonceBytes", NONCE_BYTES);
  put_number(env, o, "tagBytes", TAG_BYTES);
  put_number(env, o, "frameHeaderBytes", FRAME_BYTES);
  put_number(env, o, "frameMagic", FRAME_MAGIC);
  put_number(env, o, "flagEncrypted", FLAG_ENCRYPTED);
  put_number(env, o, "codecNone", CODEC_NONE);
  put_number(env, o, "codecLz4", CODEC_LZ4);
  put_number(env, o, "lz4PrefixBytes", PREFIX_BYTES);
  put_number(env, o, "probeSliceBytes", PROBE_SLICE);
  put_number(env, o, "probeMinBytes", PROBE_MIN);
  put_number(env, o, "readSegmentFields", SEGMENT_FIELDS);
  put_number(env, o, "zeroFillFd", ZERO_FILL_FD);
  return o;
}

static napi_value new_bytes(napi_env env, size_t n, uint8_t **data) {
  napi_value ab, out;
  napi_create_arraybuffer(env, n, (void **)data, &ab);
  napi_create_typedarray(env, napi_uint8_array, n, ab, 0, &out);
  return out;
}

napi_value dm_frame_header_js(napi_env env, napi_callback_info info) {
  size_t argc = 5, id_len, nonce_len = 0, payload_len;
  napi_value argv[5];
  uint8_t *id, *nonce = NULL, *payload, *h;
  uint32_t codec, raw;
  int ok = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 5 &&
           bytes_of(env, argv[0], &id, &id_len) && id_len == ID_BYTES &&
           napi_get_value_uint32(env, argv[1], &codec) == napi_ok && codec < 256 &&
           (is_null(env, argv[2]) || (bytes_of(env, argv[2], &nonce, &nonce_len) && nonce_len == NONCE_BYTES)) &&
           napi_get_value_uint32(env, argv[3], &raw) == napi_ok && bytes_of(env, argv[4], &payload, &payload_len);
  if (!ok) return fail(env, "frameHeader: expected (identity: 32 bytes, codec, nonce: 12 bytes | null, rawLength, payload)");
  napi_value out = new_bytes(env, FRAME_BYTES, &h);
  dm_frame_header(h, id, (int)codec, nonce, raw, payload, (uint32_t)payload_len);
  return out;
}

napi_value dm_blob_aad_js(napi_env env, napi_callback_info info) {
  size_t argc = 3, id_len;
  napi_value argv[3];
  uint8_t *id, *aad;
  uint32_t codec, raw;
  int ok = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 3 &&
           bytes_of(env, argv[0], &id, &id_len) && id_len == ID_BYTES &&
           napi_get_value_uint32(env, argv[1], &codec) == napi_ok && codec < 256 &&
           napi_get_value_uint32(env, argv[2], &raw) == napi_ok;
  if (!ok) return fail(env, "blobAad: expected (identity: 32 bytes, codec, rawLength)");
  napi_value out = new_bytes(env, AAD_BYTES, &aad);
  dm_blob_aad(aad, id, (int)codec, raw);
  return out;
}
