/*
 * AES-256-GCM into caller memory, through the OpenSSL that Node itself links and exports.
 *
 * Why: node:crypto's Cipher.update() returns a fresh buffer per call, so sealing a 1 MiB block
 * allocated 1 MiB, first-touched it (page faults) and copied twice (inside update(), then into the
 * frame's output): ~0.2 s of compute-thread CPU per 2 GiB encrypted backup (perf, 2026-12-04),
 * about the cost of the encryption itself. Here EVP_EncryptUpdate writes the ciphertext straight
 * into the output, in place when the plaintext already sits there.
 *
 * Restore and verify open blobs the same way (gcmOpenInto, below): straight into the block's output
 * or a reused scratch, instead of a fresh buffer per block.
 *
 * gcmSealInto(key32, nonce12, aad, plaintext, out, outOffset) -> bytes written (plaintext + 16):
 * ciphertext || tag at out[outOffset..]. The plaintext may be anywhere, including out itself at
 * the same offset (in place) or overlapping it otherwise (it is moved first).
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#define TAG_BYTES 16

static int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, (void **)data, NULL, NULL) != napi_ok) return 0;
  return type == napi_uint8_array;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

napi_value dm_gcm_seal_into(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6)
    return fail(env, "gcmSealInto: expected (key, nonce, aad, plaintext, out, outOffset)");
  uint8_t *key, *nonce, *aad, *in, *out;
  size_t key_len, nonce_len, aad_len, in_len, out_len;
  uint32_t offset = 0;
  if (!bytes_of(env, argv[0], &key, &key_len) || key_len != 32 || !bytes_of(env, argv[1], &nonce, &nonce_len) ||
      nonce_len != 12 || !bytes_of(env, argv[2], &aad, &aad_len) || !bytes_of(env, argv[3], &in, &in_len) ||
      !bytes_of(env, argv[4], &out, &out_len) || napi_get_value_uint32(env, argv[5], &offset) != napi_ok)
    return fail(env, "gcmSealInto: key must be 32 bytes, nonce 12, the rest Uint8Arrays and an offset");
  if (in_len > INT32_MAX - TAG_BYTES || (size_t)offset > out_len || out_len - offset < in_len + TAG_BYTES)
    return fail(env, "gcmSealInto: the output cannot hold ciphertext and tag");
  uint8_t *dst = out + offset;
  /* OpenSSL encrypts in place only when source and destination are the same address. */
  if (in != dst && in < dst + in_len && dst < in + in_len) {
    memmove(dst, in, in_len);
    in = dst;
  }
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int ok = ctx != NULL;
  int n = 0, fin = 0;
  ok = ok && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1;
  ok = ok && EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1;
  ok = ok && (aad_len == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1);
  ok = ok && EVP_EncryptUpdate(ctx, dst, &n, in, (int)in_len) == 1;
  ok = ok && EVP_EncryptFinal_ex(ctx, dst + n, &fin) == 1;
  ok = ok && (size_t)(n + fin) == in_len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, dst + in_len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return fail(env, "gcmSealInto: OpenSSL refused the encryption");
  napi_value result;
  napi_create_uint32(env, (uint32_t)(in_len + TAG_BYTES), &result);
  return result;
}

/*
 * gcmOpenInto(key32, nonce12, aad, sealed, out) -> plaintext bytes written to out[0..], or -1 when
 * authentication fails (the tag, the AAD, the key or the nonce differ; out then holds garbage the
 * caller must not use). sealed = ciphertext || 16-byte tag; out must not overlap it.
 */
napi_value dm_gcm_open_into(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return fail(env, "gcmOpenInto: expected (key, nonce, aad, sealed, out)");
  uint8_t *key, *nonce, *aad, *in, *out;
  size_t key_len, nonce_len, aad_len, in_len, out_len;
  if (!bytes_of(env, argv[0], &key, &key_len) || key_len != 32 || !bytes_of(env, argv[1], &nonce, &nonce_len) ||
      nonce_len != 12 || !bytes_of(env, argv[2], &aad, &aad_len) || !bytes_of(env, argv[3], &in, &in_len) ||
      !bytes_of(env, argv[4], &out, &out_len))
    return fail(env, "gcmOpenInto: key must be 32 bytes, nonce 12, the rest Uint8Arrays");
  if (in_len < TAG_BYTES || in_len - TAG_BYTES > INT32_MAX || out_len < in_len - TAG_BYTES)
    return fail(env, "gcmOpenInto: sealed is shorter than its tag or out cannot hold the plaintext");
  size_t ct_len = in_len - TAG_BYTES;
  if (out < in + in_len && in < out + ct_len) return fail(env, "gcmOpenInto: out overlaps sealed");
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int ok = ctx != NULL;
  int n = 0, fin = 0, authentic = 0;
  ok = ok && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1;
  ok = ok && EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1;
  ok = ok && (aad_len == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1);
  ok = ok && EVP_DecryptUpdate(ctx, out, &n, in, (int)ct_len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, in + ct_len) == 1;
  /* The tag is checked here: anything but 1 means the blob is not authentic. */
  if (ok) authentic = EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1 && (size_t)(n + fin) == ct_len;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return fail(env, "gcmOpenInto: OpenSSL refused the decryption");
  napi_value result;
  if (authentic)
    napi_create_uint32(env, (uint32_t)ct_len, &result);
  else
    napi_create_int32(env, -1, &result);
  return result;
}
