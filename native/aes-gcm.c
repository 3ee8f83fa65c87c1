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
#include <openssl/evp.h>
#include <string.h>
#include "addon.h"

#define TAG_BYTES 16

/* What both calls take: key (32 bytes), nonce (12), aad, then an input and an output Uint8Array. */
struct gcm_args {
  uint8_t *key, *nonce, *aad, *in, *out;
  size_t aad_len, in_len, out_len;
};

/* Reads argv[0..4] into `a`; 0 (nothing thrown yet) when one of them is not what it must be. */
static int gcm_args_of(napi_env env, napi_value *argv, struct gcm_args *a) {
  size_t key_len, nonce_len;
  return bytes_of(env, argv[0], &a->key, &key_len) && key_len == 32 &&
         bytes_of(env, argv[1], &a->nonce, &nonce_len) && nonce_len == 12 &&
         bytes_of(env, argv[2], &a->aad, &a->aad_len) && bytes_of(env, argv[3], &a->in, &a->in_len) &&
         bytes_of(env, argv[4], &a->out, &a->out_len);
}

/* A context keyed with the args' key and nonce, the AAD already fed; NULL when OpenSSL refuses. */
static EVP_CIPHER_CTX *gcm_begin(const struct gcm_args *a, int encrypt) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  int ok = ctx != NULL;
  ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1;
  ok = ok && EVP_CipherInit_ex(ctx, NULL, NULL, a->key, a->nonce, encrypt) == 1;
  ok = ok && (a->aad_len == 0 || EVP_CipherUpdate(ctx, NULL, &n, a->aad, (int)a->aad_len) == 1);
  if (ok) return ctx;
  EVP_CIPHER_CTX_free(ctx);
  return NULL;
}

/* Also seal-batch.c's encryption (addon.h). */
int dm_gcm_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
                size_t n, uint8_t *dst) {
  const struct gcm_args a = {.key = (uint8_t *)key, .nonce = (uint8_t *)nonce, .aad = (uint8_t *)aad, .aad_len = aad_len};
  EVP_CIPHER_CTX *ctx = gcm_begin(&a, 1);
  int w = 0, fin = 0;
  int ok = ctx != NULL;
  ok = ok && EVP_EncryptUpdate(ctx, dst, &w, in, (int)n) == 1;
  ok = ok && EVP_EncryptFinal_ex(ctx, dst + w, &fin) == 1;
  ok = ok && (size_t)(w + fin) == n;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, dst + n) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

napi_value dm_gcm_seal_into(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  struct gcm_args a;
  uint32_t offset = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || !gcm_args_of(env, argv, &a) ||
      napi_get_value_uint32(env, argv[5], &offset) != napi_ok)
    return fail(env, "gcmSealInto: expected (key of 32 bytes, nonce of 12, aad, plaintext, out, outOffset)");
  if (a.in_len > INT32_MAX - TAG_BYTES || (size_t)offset > a.out_len || a.out_len - offset < a.in_len + TAG_BYTES)
    return fail(env, "gcmSealInto: the output cannot hold ciphertext and tag");
  uint8_t *in = a.in, *dst = a.out + offset;
  /* OpenSSL encrypts in place only when source and destination are the same address. */
  if (in != dst && in < dst + a.in_len && dst < in + a.in_len) {
    memmove(dst, in, a.in_len);
    in = dst;
  }
  if (!dm_gcm_seal(a.key, a.nonce, a.aad, a.aad_len, in, a.in_len, dst))
    return fail(env, "gcmSealInto: OpenSSL refused the encryption");
  napi_value result;
  napi_create_uint32(env, (uint32_t)(a.in_len + TAG_BYTES), &result);
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
  struct gcm_args a;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !gcm_args_of(env, argv, &a))
    return fail(env, "gcmOpenInto: expected (key of 32 bytes, nonce of 12, aad, sealed, out)");
  if (a.in_len < TAG_BYTES || a.in_len - TAG_BYTES > INT32_MAX || a.out_len < a.in_len - TAG_BYTES)
    return fail(env, "gcmOpenInto: sealed is shorter than its tag or out cannot hold the plaintext");
  size_t ct_len = a.in_len - TAG_BYTES;
  if (a.out < a.in + a.in_len && a.in < a.out + ct_len) return fail(env, "gcmOpenInto: out overlaps sealed");
  EVP_CIPHER_CTX *ctx = gcm_begin(&a, 0);
  int n = 0, fin = 0, authentic = 0;
  int ok = ctx != NULL;
  ok = ok && EVP_DecryptUpdate(ctx, a.out, &n, a.in, (int)ct_len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, a.in + ct_len) == 1;
  /* The tag is checked here: anything but 1 means the blob is not authentic. */
  if (ok) authentic = EVP_DecryptFinal_ex(ctx, a.out + n, &fin) == 1 && (size_t)(n + fin) == ct_len;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return fail(env, "gcmOpenInto: OpenSSL refused the decryption");
  napi_value result;
  if (authentic)
    napi_create_uint32(env, (uint32_t)ct_len, &result);
  else
    napi_create_int32(env, -1, &result);
  return result;
}
