/* Argument helpers shared by the addon's sources (N-API, C). */
#ifndef DATAMOVER_NAPI_ARGS_H
#define DATAMOVER_NAPI_ARGS_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* The bytes of a Uint8Array argument; 0 for anything else (other typed arrays included). */
static inline int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, (void **)data, NULL, NULL) != napi_ok) return 0;
  return type == napi_uint8_array;
}

/* Throws `message` as an Error; returns the NULL a napi callback returns after throwing. */
static inline napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

#endif
