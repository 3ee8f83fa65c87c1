/* What the addon's C files call across files, and the entry points addon.c registers. */
#ifndef DATAMOVER_ADDON_H
#define DATAMOVER_ADDON_H

#include "napi-args.h"

/* crc32c.c (x86-64 with SSE4.2 only; dm_crc32c_init once at load, before any other call). */
void dm_crc32c_init(void);
uint32_t dm_crc32c(uint32_t seed, const uint8_t *p, size_t n);
/* aes-gcm.c: ciphertext || tag of in[0..n) at dst (in may equal dst); 0 when OpenSSL refuses. */
int dm_gcm_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
                size_t n, uint8_t *dst);

napi_value dm_crc32c_js(napi_env env, napi_callback_info info);      /* crc32c.c */
napi_value dm_gcm_seal_into(napi_env env, napi_callback_info info);     /* aes-gcm.c */
napi_value dm_gcm_open_into(napi_env env, napi_callback_info info);     /* aes-gcm.c */
napi_value dm_seal_batch(napi_env env, napi_callback_info info);        /* seal-batch.c */
napi_value dm_compute_pool_new(napi_env env, napi_callback_info info);  /* compute-pool.c */
napi_value dm_compute_pool_close(napi_env env, napi_callback_info info); /* compute-pool.c */
napi_value dm_native_format(napi_env env);                              /* format-export.c */
napi_value dm_frame_header_js(napi_env env, napi_callback_info info);   /* format-export.c */
napi_value dm_blob_aad_js(napi_env env, napi_callback_info info);       /* format-export.c */

#endif
