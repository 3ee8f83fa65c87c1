/*
 * CRC-32C (Castagnoli) with the SSE4.2 crc32 instruction, three streams at a time.
 *
 * Why: the repository checksums every frame's payload with CRC-32C. @node-rs/crc32 runs one
 * dependency chain of crc32 instructions (~7 GB/s here); the instruction has a latency of 3 cycles
 * but a throughput of 1 per cycle, so three independent streams over three thirds of a buffer run
 * ~3x faster. The thirds are joined with the "append n zero bytes" operator of the raw CRC
 * register, which is linear over GF(2): raw(s, A||B) = zeros(raw(s, A), |B|) ^ raw(0, B). That
 * operator is tabulated per byte of the register (4 x 256 entries) for the two stream lengths
 * used, once, at load, by running the instruction itself over zero bytes.
 *
 * Exports crc32c(data: Uint8Array, seed = 0) -> number, with the same seed semantics as
 * @node-rs/crc32 (crc32c(b, crc32c(a)) === crc32c(a || b)); not on a CPU without SSE4.2, where the
 * caller keeps its portable implementation.
 * Registered by addon.c, which calls dm_crc32c_init first.
 */
#include <string.h>
#include "addon.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

#define LONG_BYTES 8192
#define SHORT_BYTES 256

#if HAVE_X86
static uint32_t zeros_long[4][256];
static uint32_t zeros_short[4][256];

__attribute__((target("sse4.2"))) static uint32_t raw_serial(uint32_t crc, const uint8_t *p, size_t n) {
  uint64_t c = crc;
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
    n--;
  }
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
    n--;
  }
  return (uint32_t)c;
}

static const uint8_t zero_block[LONG_BYTES];

/* table[k][v] = the raw register after `len` zero bytes, starting from v << 8k */
static void build_zeros(uint32_t table[4][256], size_t len) {
  for (int k = 0; k < 4; k++)
    for (uint32_t v = 0; v < 256; v++) table[k][v] = raw_serial(v << (8 * k), zero_block, len);
}

static inline uint32_t shift(uint32_t table[4][256], uint32_t crc) {
  return table[0][crc & 0xff] ^ table[1][(crc >> 8) & 0xff] ^ table[2][(crc >> 16) & 0xff] ^
         table[3][crc >> 24];
}

/* Three streams of `len` bytes each (a multiple of 8), joined: returns the register after 3*len. */
__attribute__((target("sse4.2"))) static inline uint32_t raw_triple(uint32_t crc, const uint8_t *p, size_t len,
                                                                   uint32_t table[4][256]) {
  uint64_t c0 = crc, c1 = 0, c2 = 0;
  const uint8_t *a = p, *b = p + len, *c = p + 2 * len;
  for (size_t i = 0; i < len; i += 8) {
    uint64_t wa, wb, wc;
    memcpy(&wa, a + i, 8);
    memcpy(&wb, b + i, 8);
    memcpy(&wc, c + i, 8);
    c0 = _mm_crc32_u64(c0, wa);
    c1 = _mm_crc32_u64(c1, wb);
    c2 = _mm_crc32_u64(c2, wc);
  }
  uint32_t ab = shift(table, (uint32_t)c0) ^ (uint32_t)c1;
  return shift(table, ab) ^ (uint32_t)c2;
}

static uint32_t crc32c_hw(uint32_t seed, const uint8_t *p, size_t n) {
  uint32_t crc = ~seed;
  while (n >= 3 * LONG_BYTES) {
    crc = raw_triple(crc, p, LONG_BYTES, zeros_long);
    p += 3 * LONG_BYTES;
    n -= 3 * LONG_BYTES;
  }
  while (n >= 3 * SHORT_BYTES) {
    crc = raw_triple(crc, p, SHORT_BYTES, zeros_short);
    p += 3 * SHORT_BYTES;
    n -= 3 * SHORT_BYTES;
  }
  return ~raw_serial(crc, p, n);
}

void dm_crc32c_init(void) {
  build_zeros(zeros_long, LONG_BYTES);
  build_zeros(zeros_short, SHORT_BYTES);
}

/* For seal-batch.c (same CPU check: only registered where SSE4.2 runs). */
uint32_t dm_crc32c(uint32_t seed, const uint8_t *p, size_t n) { return crc32c_hw(seed, p, n); }

napi_value dm_crc32c_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *data = NULL;
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      !bytes_of(env, argv[0], &data, &length)) {
    napi_throw_type_error(env, NULL, "crc32c: expected a Uint8Array");
    return NULL;
  }
  uint32_t seed = 0;
  if (argc >= 2) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_number) napi_get_value_uint32(env, argv[1], &seed);
  }
  napi_value out;
  napi_create_uint32(env, crc32c_hw(seed, data, length), &out);
  return out;
}
#endif

