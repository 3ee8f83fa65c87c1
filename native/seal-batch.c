/*
 * sealBatch: a backup batch's compute stages on a compute thread (compute-pool.c), without a
 * worker isolate.
 *
 * Why: a compute worker thread cost ~60 ms of CPU to boot (its own Node environment) before it
 * loaded a line of ours, and every batch paid for structured-clone messages both ways and for the
 * worker's JavaScript around the native calls. Here one N-API async work runs the whole batch in C
 * on a compute thread: the read map's preads, the zero check, BLAKE3 (keyed when the repository is
 * encrypted), the known-identity hint, LZ4 with the early-abort probe, AES-256-GCM, the payload
 * CRC-32C and the frame header. The bytes and their layout are exactly those of the worker path
 * (src/workers/block-worker.ts, seal.ts, codecs/, repository/format/frame.ts); the tests hold
 * both paths to the same frames.
 *
 * sealBatch(pool, op, level, identityKey|null, blobKey|null, data[], lengths, identities, nonces|null,
 *           reads[]|null, known|null, codecs, payloadLengths, frameHeaders, zero, knownOut,
 *           stats, done)
 *   pool: a computePool handle. op: 0 hash, 1 seal (identities given), 2 hashAndSeal. level: 0 none, 2 LZ4 (optimal).
 *   data[i]: the block buffer, sealed in place (payload at its start); it must stay untouched by
 *   JavaScript until `done` runs, as with a buffer moved to a worker.
 *   reads[i]: a read map (src/core/read-map.ts) or null. known: an Int32Array over an
 *   IdentityFilter's SharedArrayBuffer (src/core/identity-filter.ts).
 *   stats (Float64Array of 8): out [bytesRead, readMs, failed block, errno, fd, file offset,
 *   started, ended] (the last two CLOCK_MONOTONIC ms, process.hrtime's clock).
 *   done(status): 0 ok, 1 read failed with errno, 2 file ended early, 3 OpenSSL failed, 4 a read
 *   map segment lies outside its block buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lz4.h"
#include "compute-pool.h"
#include "vendor/blake3/blake3.h"

#define ID_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
#define FRAME_BYTES 72
#define FRAME_MAGIC 0x46424d44u
#define PREFIX_BYTES 4
#define PROBE_SLICE (16 * 1024)
#define PROBE_MIN (8 * PROBE_SLICE)
#define SEGMENT_FIELDS 4
#define ZERO_FILL_FD (-1)
#define CODEC_NONE 0
#define CODEC_LZ4 2

enum { OK = 0, READ_ERRNO = 1, READ_SHORT = 2, CRYPTO_FAILED = 3, BAD_MAP = 4 };

struct block {
  uint8_t *data;
  size_t capacity;
  uint32_t length;
  const double *reads;
  size_t read_fields;
};

struct batch {
  struct dm_job job; /* first: the pool hands back this pointer */
  napi_ref done;
  int op, level, keyed, encrypted;
  uint8_t identity_key[32], blob_key[32];
  uint32_t n;
  struct block *blocks;
  uint8_t *identities, *codecs, *frame_headers, *zero, *known_out;
  const uint8_t *nonces;
  const int32_t *known;
  uint32_t known_mask;
  uint32_t *payload_lengths;
  double *stats;
  int status;
};

/* LZ4 output scratch, one per pool thread, kept for the thread's life: a fresh buffer per batch
 * would be first-touched (page faults) every time. */
static __thread uint8_t *scratch;
static __thread size_t scratch_size;

static uint8_t *scratch_for(size_t n) {
  if (scratch_size < n) {
    free(scratch);
    scratch = malloc(n);
    scratch_size = scratch ? n : 0;
  }
  return scratch;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Runs a read map into the block; returns bytes read or -1 with b->status and stats set. */
static double run_reads(struct batch *b, uint32_t i) {
  const struct block *k = &b->blocks[i];
  double total = 0;
  for (size_t s = 0; s + SEGMENT_FIELDS <= k->read_fields; s += SEGMENT_FIELDS) {
    double fd = k->reads[s], at = k->reads[s + 1], len = k->reads[s + 2], to = k->reads[s + 3];
    if (to < 0 || len < 0 || to + len > k->capacity) return -2;
    if (fd == ZERO_FILL_FD) {
      memset(k->data + (size_t)to, 0, (size_t)len);
      continue;
    }
    for (size_t done = 0; done < (size_t)len;) {
      ssize_t r = pread((int)fd, k->data + (size_t)to + done, (size_t)len - done, (off_t)at + done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        b->status = r < 0 ? READ_ERRNO : READ_SHORT;
        b->stats[2] = i;
        b->stats[3] = r < 0 ? errno : 0;
        b->stats[4] = fd;
        b->stats[5] = at + done;
        return -1;
      }
      done += (size_t)r;
    }
    total += len;
  }
  return total;
}

static int all_zero(const uint8_t *p, size_t n) {
  if (n == 0) return 1;
  return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static int32_t word_of(const uint8_t *id, int at) {
  return (int32_t)((uint32_t)id[at] | (uint32_t)id[at + 1] << 8 | (uint32_t)id[at + 2] << 16 |
                   (uint32_t)id[at + 3] << 24);
}

/* IdentityFilter.mayContain: the writer publishes word 0 last (Atomics.store), read it first. */
static int known_has(const struct batch *b, const uint8_t *id) {
  int32_t tag = word_of(id, 0) | 1, w1 = word_of(id, 4), w2 = word_of(id, 8), w3 = word_of(id, 12);
  for (uint32_t slot = ((uint32_t)tag >> 1) & b->known_mask;; slot = (slot + 1) & b->known_mask) {
    const int32_t *w = b->known + (size_t)slot * 4;
    int32_t t = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    if (t == 0) return 0;
    if (t == tag && w[1] == w1 && w[2] == w2 && w[3] == w3) return 1;
  }
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

/* LZ4 into `out` (prefix + block) within `cap` bytes; 0 when it does not fit (not smaller). */
static size_t lz4_into(const uint8_t *src, size_t n, uint8_t *out, size_t cap) {
  size_t bound = PREFIX_BYTES + (size_t)LZ4_compressBound((int)n);
  if (cap > bound) cap = bound;
  if (cap <= PREFIX_BYTES) return 0;
  int w = LZ4_compress_default((const char *)src, (char *)out + PREFIX_BYTES, (int)n, (int)(cap - PREFIX_BYTES));
  if (w <= 0) return 0;
  put32(out, (uint32_t)n);
  return PREFIX_BYTES + (size_t)w;
}

/* codecs/block-codec.ts probeSaysIncompressible: four 16 KiB samples, none shrinks by 1/32. */
static int probe_incompressible(const uint8_t *src, size_t n, uint8_t *tmp) {
  if (n < PROBE_MIN) return 0;
  for (int q = 0; q < 4; q++) {
    size_t start = ((size_t)((double)n * q / 4)) & ~(size_t)0xfff;
    if (lz4_into(src + start, PROBE_SLICE, tmp, PROBE_SLICE - PROBE_SLICE / 32 - 1) > 0) return 0;
  }
  return 1;
}

/* repository/format/frame.ts encodeFrameHeaderInto. */
static void frame_header(uint8_t *h, const uint8_t *id, int codec, const uint8_t *nonce, uint32_t raw,
                         const uint8_t *payload, uint32_t stored) {
  memset(h, 0, FRAME_BYTES);
  put32(h, FRAME_MAGIC);
  h[4] = (uint8_t)codec;
  h[5] = nonce ? 1 : 0;
  put32(h + 8, raw);
  put32(h + 12, stored);
  memcpy(h + 16, id, ID_BYTES);
  if (nonce) memcpy(h + 48, nonce, NONCE_BYTES);
  put32(h + 64, dm_crc32c(dm_crc32c(0, h, 64), payload, stored));
  put32(h + 68, dm_crc32c(0, h, 68));
}

/* Compresses (and encrypts) block i in place; 0 when OpenSSL failed. */
static int seal_block(struct batch *b, uint32_t i, const uint8_t *id) {
  struct block *k = &b->blocks[i];
  size_t n = k->length;
  const uint8_t *plain = k->data;
  size_t plain_len = n;
  int codec = CODEC_NONE;
  if (b->level == CODEC_LZ4 && n > 0) {
    uint8_t *tmp = scratch_for(PREFIX_BYTES + (size_t)LZ4_compressBound((int)n));
    if (tmp == NULL) return 0;
    if (!probe_incompressible(k->data, n, tmp)) {
      size_t w = lz4_into(k->data, n, tmp, n - 1);
      if (w > 0) {
        plain = tmp;
        plain_len = w;
        codec = CODEC_LZ4;
      }
    }
  }
  const uint8_t *nonce = b->encrypted ? b->nonces + (size_t)i * NONCE_BYTES : NULL;
  size_t stored = plain_len;
  if (nonce) {
    uint8_t aad[ID_BYTES + 5];
    memcpy(aad, id, ID_BYTES);
    aad[ID_BYTES] = (uint8_t)codec;
    put32(aad + ID_BYTES + 1, (uint32_t)n);
    if (!dm_gcm_seal(b->blob_key, nonce, aad, sizeof aad, plain, plain_len, k->data)) return 0;
    stored += TAG_BYTES;
  } else if (plain != k->data) {
    memcpy(k->data, plain, plain_len);
  }
  b->codecs[i] = (uint8_t)codec;
  b->payload_lengths[i] = (uint32_t)stored;
  frame_header(b->frame_headers + (size_t)i * FRAME_BYTES, id, codec, nonce, (uint32_t)n, k->data,
               (uint32_t)stored);
  return 1;
}

static void run_batch(struct batch *b) {
  int hashes = b->op != 1, seals = b->op != 0;
  for (uint32_t i = 0; i < b->n && b->status == OK; i++) {
    struct block *k = &b->blocks[i];
    if (k->reads) {
      double t = now_ms();
      double got = run_reads(b, i);
      if (got < 0) {
        if (got == -2) {
          b->status = BAD_MAP;
          b->stats[2] = i;
        }
        return;
      }
      b->stats[0] += got;
      b->stats[1] += now_ms() - t;
      if (all_zero(k->data, k->length)) {
        b->zero[i] = 1;
        continue;
      }
    }
    uint8_t *id = b->identities + (size_t)i * ID_BYTES;
    if (hashes) {
      blake3_hasher h;
      if (b->keyed)
        blake3_hasher_init_keyed(&h, b->identity_key);
      else
        blake3_hasher_init(&h);
      blake3_hasher_update(&h, k->data, k->length);
      blake3_hasher_finalize(&h, id, ID_BYTES);
    }
    if (!seals) continue;
    if (hashes && b->known && known_has(b, id)) {
      b->known_out[i] = 1;
      continue;
    }
    if (!seal_block(b, i, id)) {
      b->status = CRYPTO_FAILED;
      b->stats[2] = i;
    }
  }
}

static void execute(struct dm_job *job) {
  struct batch *b = (struct batch *)job;
  b->stats[6] = now_ms();
  run_batch(b);
  b->stats[7] = now_ms();
}

static void complete(napi_env env, struct dm_job *job) {
  struct batch *b = (struct batch *)job;
  napi_value done = NULL, global, arg;
  if (env != NULL) {
    napi_get_reference_value(env, b->done, &done);
    napi_delete_reference(env, b->done);
  }
  free(b->blocks);
  int status = b->status;
  free(b);
  if (done == NULL) return;
  napi_get_global(env, &global);
  napi_create_int32(env, status, &arg);
  napi_call_function(env, global, done, 1, &arg, NULL);
}

static int key_of(napi_env env, napi_value v, uint8_t out[32], int *present) {
  uint8_t *p;
  size_t n;
  *present = 0;
  if (is_null(env, v)) return 1;
  if (!bytes_of(env, v, &p, &n) || n != 32) return 0;
  memcpy(out, p, 32);
  *present = 1;
  return 1;
}

/* Reads the per-block arguments (data[], lengths, reads[]) into b->blocks. */
static int blocks_of(napi_env env, struct batch *b, napi_value data, napi_value lengths, napi_value reads) {
  uint32_t *lens;
  size_t nlens;
  if (napi_get_array_length(env, data, &b->n) != napi_ok || b->n == 0) return 0;
  if (!typed_of(env, lengths, napi_uint32_array, (void **)&lens, &nlens) || nlens != b->n) return 0;
  int has_reads = !is_null(env, reads);
  b->blocks = calloc(b->n, sizeof(struct block));
  if (b->blocks == NULL) return 0;
  for (uint32_t i = 0; i < b->n; i++) {
    struct block *k = &b->blocks[i];
    napi_value v;
    if (napi_get_element(env, data, i, &v) != napi_ok || !bytes_of(env, v, &k->data, &k->capacity)) return 0;
    k->length = lens[i];
    if (k->length > k->capacity || (b->op != 0 && k->capacity - k->length < TAG_BYTES)) return 0;
    if (!has_reads || napi_get_element(env, reads, i, &v) != napi_ok || is_null(env, v)) continue;
    if (!typed_of(env, v, napi_float64_array, (void **)&k->reads, &k->read_fields)) return 0;
  }
  return 1;
}

/* A typed array of type `want` with exactly `count` elements. */
static int sized(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t count) {
  size_t len;
  return typed_of(env, v, want, data, &len) && len == count;
}

static int outputs_of(napi_env env, struct batch *b, napi_value *argv) {
  size_t n = b->n, words;
  void *known = NULL;
  int ok = sized(env, argv[6], napi_uint8_array, (void **)&b->identities, n * ID_BYTES) &&
           sized(env, argv[10], napi_uint8_array, (void **)&b->codecs, n) &&
           sized(env, argv[11], napi_uint32_array, (void **)&b->payload_lengths, n) &&
           sized(env, argv[12], napi_uint8_array, (void **)&b->frame_headers, n * FRAME_BYTES) &&
           sized(env, argv[13], napi_uint8_array, (void **)&b->zero, n) &&
           sized(env, argv[14], napi_uint8_array, (void **)&b->known_out, n) &&
           sized(env, argv[15], napi_float64_array, (void **)&b->stats, 8) &&
           (!b->encrypted || sized(env, argv[7], napi_uint8_array, (void **)&b->nonces, n * NONCE_BYTES));
  if (!ok || is_null(env, argv[9])) return ok;
  if (!typed_of(env, argv[9], napi_int32_array, &known, &words) || words < 4 || (words & (words - 1)) != 0) return 0;
  b->known = known;
  b->known_mask = (uint32_t)(words / 4 - 1);
  return 1;
}

napi_value dm_seal_batch(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value all[18];
  napi_value *argv = all + 1; /* all[0] is the pool */
  int32_t op, level;
  struct batch *b = calloc(1, sizeof(struct batch));
  if (b == NULL) return fail(env, "sealBatch: out of memory");
  int ok = napi_get_cb_info(env, info, &argc, all, NULL, NULL) == napi_ok && argc == 18 &&
           napi_get_value_int32(env, argv[0], &op) == napi_ok && op >= 0 && op <= 2 &&
           napi_get_value_int32(env, argv[1], &level) == napi_ok && (level == CODEC_NONE || level == CODEC_LZ4) &&
           key_of(env, argv[2], b->identity_key, &b->keyed) && key_of(env, argv[3], b->blob_key, &b->encrypted);
  if (ok) {
    b->op = op;
    b->level = level;
    b->encrypted = b->encrypted && op != 0;
    ok = blocks_of(env, b, argv[4], argv[5], argv[8]) && outputs_of(env, b, argv);
  }
  ok = ok && napi_create_reference(env, argv[16], 1, &b->done) == napi_ok;
  if (!ok) {
    free(b->blocks);
    free(b);
    return fail(env, "sealBatch: arguments do not match the batch layout (src/workers/native-pool.ts)");
  }
  b->job.run = execute;
  b->job.finish = complete;
  if (!dm_compute_pool_submit(env, all[0], &b->job)) {
    napi_delete_reference(env, b->done);
    free(b->blocks);
    free(b);
    return fail(env, "sealBatch: the compute pool is closed or not a pool");
  }
  return NULL;
}
