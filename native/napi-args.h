/* Argument helpers shared by the addon's sources (N-API, C). */
#ifndef DATAMOVER_NAPI_ARGS_H
#define DATAMOVER_NAPI_ARGS_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* The data and element count of a typed array of type `want`; 0 for anything else. */
static inline int typed_of(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  return napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) == napi_ok && type == want;
}

/* The bytes of a Uint8Array argument; 0 for anything else (other typed arrays included). */
static inline int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  return typed_of(env, v, napi_uint8_array, (void **)data, len);
}

/* Whether an argument is null or undefined. */
static inline int is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

/* Throws `message` as an Error; returns the NULL a napi callback returns after throwing. */
static inline napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

#endif
