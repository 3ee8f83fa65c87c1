/*
 * The addon's entry point: registers every function it exports (src/core/native.ts types them).
 *
 *   gcmSealInto, gcmOpenInto   aes-gcm.c      everywhere OpenSSL is linked (every Node build)
 *   crc32c                     crc32c.c       x86-64 with SSE4.2
 *   sealBatch                  seal-batch.c   x86-64 with SSE4.2 (it checksums with crc32c.c)
 *   computePool                compute-pool.c x86-64 with SSE4.2 (sealBatch's threads)
 *   closeComputePool           compute-pool.c x86-64 with SSE4.2
 *   nativeFormat, frameHeader, format-export.c x86-64 with SSE4.2: the format as compiled in
 *   blobAad                                   (format.h), checked by src/workers/native-contract.ts
 *
 * On other machines the x86-64 functions are absent and the callers keep their portable paths.
 */
#include "addon.h"

#if defined(__x86_64__)
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value v;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &v);
  napi_set_named_property(env, exports, name, v);
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "gcmSealInto", dm_gcm_seal_into);
  export_fn(env, exports, "gcmOpenInto", dm_gcm_open_into);
#if HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) {
    dm_crc32c_init();
    export_fn(env, exports, "crc32c", dm_crc32c_js);
    export_fn(env, exports, "sealBatch", dm_seal_batch);
    export_fn(env, exports, "computePool", dm_compute_pool_new);
    export_fn(env, exports, "closeComputePool", dm_compute_pool_close);
    export_fn(env, exports, "frameHeader", dm_frame_header_js);
    export_fn(env, exports, "blobAad", dm_blob_aad_js);
    napi_set_named_property(env, exports, "nativeFormat", dm_native_format(env));
  }
#endif
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
