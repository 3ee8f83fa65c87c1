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
 * (src/workers/block-worker.ts, src/compute/seal.ts and codecs/, src/format/frame.ts); the tests hold
 * both paths to the same frames.
 *
 * sealBatch(pool, batch, done)
 *   pool: a computePool handle.
 *   batch: one object, typed as SealBatchOptions in src/core/native.ts (the field names below):
 *     op: 0 hash, 1 seal (identities given), 2 hashAndSeal. level: 0 none, 2 LZ4 (optimal).
 *     identityKey, blobKey: 32 bytes or absent. data[i]: the block buffer, sealed in place (payload
 *     at its start); it must stay untouched by JavaScript until `done` runs, as with a buffer moved
 *     to a worker. lengths: Uint32Array. identities: n x 32 bytes (in for seal, out otherwise).
 *     nonces: n x 12 bytes when encrypted. reads[i]: a read map (src/core/read-map.ts) or null;
 *     reads absent for none. known: an Int32Array over an IdentityFilter's SharedArrayBuffer
 *     (src/core/identity-filter.ts) or absent. Outputs: codecs, payloadLengths, frameHeaders
 *     (n x FRAME_BYTES), zero, knownOut.
 *   done(status, stats): status 0 ok, 1 read failed with errno, 2 file ended early, 3 OpenSSL
 *   failed, 4 a read map segment lies outside its block buffer; stats an object with the fields
 *   of struct batch_stats by their JavaScript names (SealBatchStats): bytesRead, readMs,
 *   failedBlock, errno, fd, offset, startedMs, endedMs (the last two CLOCK_MONOTONIC ms,
 *   process.hrtime's clock).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lz4.h"
#include "compute-pool.h"
#include "format.h"
#include "vendor/blake3/blake3.h"

enum { OK = 0, READ_ERRNO = 1, READ_SHORT = 2, CRYPTO_FAILED = 3, BAD_MAP = 4 };

struct block {
  uint8_t *data;
  size_t capacity;
  uint32_t length;
  const double *reads;
  size_t read_fields;
};

/* What a batch reports to `done`, each field under its JavaScript name (stat_names below). */
struct batch_stats {
  double bytes_read, read_ms; /* bytes the read maps read, and the time in their preads */
  double failed_block;        /* the block a failed batch stopped at */
  double err, fd, offset;     /* a failed read: errno (0: the file ended), file descriptor, offset */
  double started_ms, ended_ms; /* the batch on its compute thread (CLOCK_MONOTONIC ms) */
};

static const struct {
  const char *name;
  size_t at;
} stat_names[] = {
    {"bytesRead", offsetof(struct batch_stats, bytes_read)},
    {"readMs", offsetof(struct batch_stats, read_ms)},
    {"failedBlock", offsetof(struct batch_stats, failed_block)},
    {"errno", offsetof(struct batch_stats, err)},
    {"fd", offsetof(struct batch_stats, fd)},
    {"offset", offsetof(struct batch_stats, offset)},
    {"startedMs", offsetof(struct batch_stats, started_ms)},
    {"endedMs", offsetof(struct batch_stats, ended_ms)},
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
  struct batch_stats stats;
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
        b->stats.failed_block = i;
        b->stats.err = r < 0 ? errno : 0;
        b->stats.fd = fd;
        b->stats.offset = at + done;
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

/* core/blob.ts blobAad: what GCM authenticates besides the payload. */
void dm_blob_aad(uint8_t *aad, const uint8_t *id, int codec, uint32_t raw) {
  memcpy(aad, id, ID_BYTES);
  aad[ID_BYTES] = (uint8_t)codec;
  put32(aad + ID_BYTES + 1, raw);
}

/* src/format/frame.ts encodeFrameHeaderInto. */
void dm_frame_header(uint8_t *h, const uint8_t *id, int codec, const uint8_t *nonce, uint32_t raw,
                     const uint8_t *payload, uint32_t stored) {
  memset(h, 0, FRAME_BYTES);
  put32(h + AT_MAGIC, FRAME_MAGIC);
  h[AT_CODEC] = (uint8_t)codec;
  h[AT_FLAGS] = nonce ? FLAG_ENCRYPTED : 0;
  put32(h + AT_RAW_LENGTH, raw);
  put32(h + AT_STORED_LENGTH, stored);
  memcpy(h + AT_IDENTITY, id, ID_BYTES);
  if (nonce) memcpy(h + AT_NONCE, nonce, NONCE_BYTES);
  put32(h + AT_FRAME_CRC, dm_crc32c(dm_crc32c(0, h, AT_FRAME_CRC), payload, stored));
  put32(h + AT_HEADER_CRC, dm_crc32c(0, h, AT_HEADER_CRC));
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
    uint8_t aad[AAD_BYTES];
    dm_blob_aad(aad, id, codec, (uint32_t)n);
    if (!dm_gcm_seal(b->blob_key, nonce, aad, sizeof aad, plain, plain_len, k->data)) return 0;
    stored += TAG_BYTES;
  } else if (plain != k->data) {
    memcpy(k->data, plain, plain_len);
  }
  b->codecs[i] = (uint8_t)codec;
  b->payload_lengths[i] = (uint32_t)stored;
  dm_frame_header(b->frame_headers + (size_t)i * FRAME_BYTES, id, codec, nonce, (uint32_t)n, k->data,
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
          b->stats.failed_block = i;
        }
        return;
      }
      b->stats.bytes_read += got;
      b->stats.read_ms += now_ms() - t;
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
      b->stats.failed_block = i;
    }
  }
}

static void execute(struct dm_job *job) {
  struct batch *b = (struct batch *)job;
  b->stats.started_ms = now_ms();
  run_batch(b);
  b->stats.ended_ms = now_ms();
}

static napi_value stats_object(napi_env env, const struct batch_stats *stats) {
  napi_value o, v;
  napi_create_object(env, &o);
  for (size_t f = 0; f < sizeof stat_names / sizeof stat_names[0]; f++) {
    napi_create_double(env, *(const double *)((const char *)stats + stat_names[f].at), &v);
    napi_set_named_property(env, o, stat_names[f].name, v);
  }
  return o;
}

static void complete(napi_env env, struct dm_job *job) {
  struct batch *b = (struct batch *)job;
  napi_value done = NULL, global, args[2];
  if (env != NULL) {
    napi_get_reference_value(env, b->done, &done);
    napi_delete_reference(env, b->done);
  }
  free(b->blocks);
  if (done != NULL) {
    napi_create_int32(env, b->status, &args[0]);
    args[1] = stats_object(env, &b->stats);
  }
  free(b);
  if (done == NULL) return;
  napi_get_global(env, &global);
  napi_call_function(env, global, done, 2, args, NULL);
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

/* batch[name], or undefined when absent. */
static napi_value field(napi_env env, napi_value batch, const char *name) {
  napi_value v = NULL;
  if (napi_get_named_property(env, batch, name, &v) != napi_ok) return NULL;
  return v;
}

/* Reads the per-block fields (data[], lengths, reads[]) into b->blocks. */
static int blocks_of(napi_env env, struct batch *b, napi_value batch) {
  napi_value data = field(env, batch, "data"), lengths = field(env, batch, "lengths"),
             reads = field(env, batch, "reads");
  uint32_t *lens;
  size_t nlens;
  bool is_array = false;
  if (data == NULL || lengths == NULL || reads == NULL) return 0;
  if (napi_is_array(env, data, &is_array) != napi_ok || !is_array) return 0;
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

/* batch[name]: a typed array of type `want` with exactly `count` elements. */
static int sized(napi_env env, napi_value batch, const char *name, napi_typedarray_type want, void **data,
                 size_t count) {
  size_t len;
  napi_value v = field(env, batch, name);
  return v != NULL && typed_of(env, v, want, data, &len) && len == count;
}

static int outputs_of(napi_env env, struct batch *b, napi_value batch) {
  size_t n = b->n, words;
  void *known = NULL;
  int ok = sized(env, batch, "identities", napi_uint8_array, (void **)&b->identities, n * ID_BYTES) &&
           sized(env, batch, "codecs", napi_uint8_array, (void **)&b->codecs, n) &&
           sized(env, batch, "payloadLengths", napi_uint32_array, (void **)&b->payload_lengths, n) &&
           sized(env, batch, "frameHeaders", napi_uint8_array, (void **)&b->frame_headers, n * FRAME_BYTES) &&
           sized(env, batch, "zero", napi_uint8_array, (void **)&b->zero, n) &&
           sized(env, batch, "knownOut", napi_uint8_array, (void **)&b->known_out, n) &&
           (!b->encrypted || sized(env, batch, "nonces", napi_uint8_array, (void **)&b->nonces, n * NONCE_BYTES));
  napi_value set = field(env, batch, "known");
  if (!ok || set == NULL || is_null(env, set)) return ok && set != NULL;
  if (!typed_of(env, set, napi_int32_array, &known, &words) || words < 4 || (words & (words - 1)) != 0) return 0;
  b->known = known;
  b->known_mask = (uint32_t)(words / 4 - 1);
  return 1;
}

static int int_field(napi_env env, napi_value batch, const char *name, int32_t *out) {
  napi_value v = field(env, batch, name);
  return v != NULL && napi_get_value_int32(env, v, out) == napi_ok;
}

static int key_field(napi_env env, napi_value batch, const char *name, uint8_t out[32], int *present) {
  napi_value v = field(env, batch, name);
  return v != NULL && key_of(env, v, out, present);
}

napi_value dm_seal_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3]; /* pool, batch, done */
  napi_valuetype batch_type = napi_undefined;
  int32_t op, level;
  struct batch *b = calloc(1, sizeof(struct batch));
  if (b == NULL) return fail(env, "sealBatch: out of memory");
  int ok = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 3 &&
           napi_typeof(env, argv[1], &batch_type) == napi_ok && batch_type == napi_object &&
           int_field(env, argv[1], "op", &op) && op >= 0 && op <= 2 && int_field(env, argv[1], "level", &level) &&
           (level == CODEC_NONE || level == CODEC_LZ4) &&
           key_field(env, argv[1], "identityKey", b->identity_key, &b->keyed) &&
           key_field(env, argv[1], "blobKey", b->blob_key, &b->encrypted);
  if (ok) {
    b->op = op;
    b->level = level;
    b->encrypted = b->encrypted && op != 0;
    ok = blocks_of(env, b, argv[1]) && outputs_of(env, b, argv[1]);
  }
  napi_valuetype done_type = napi_undefined;
  ok = ok && napi_typeof(env, argv[2], &done_type) == napi_ok && done_type == napi_function &&
       napi_create_reference(env, argv[2], 1, &b->done) == napi_ok;
  if (!ok) {
    free(b->blocks);
    free(b);
    return fail(env, "sealBatch: the batch does not match SealBatchOptions (src/core/native.ts)");
  }
  b->job.run = execute;
  b->job.finish = complete;
  if (!dm_compute_pool_submit(env, argv[0], &b->job)) {
    napi_delete_reference(env, b->done);
    free(b->blocks);
    free(b);
    return fail(env, "sealBatch: the compute pool is closed or not a pool");
  }
  return NULL;
}
