/*
 * A fixed set of compute threads with a queue, for seal-batch.c: each thread takes the next job as
 * soon as it finishes one, and hands the finished job to the JavaScript thread through a
 * thread-safe function.
 *
 * Why not libuv's pool (napi_async_work): there a queued batch starts only when the JavaScript
 * thread runs the previous batch's completion, so every pack write on that thread (milliseconds,
 * sometimes tens) left a compute thread idle; and its threads are shared with file I/O and sized by
 * UV_THREADPOOL_SIZE (4), which the process fixes at start. Default fixtures disk, CLI backup,
 * median of 8 alternating runs (2026-12-04): 1.67 s here, 1.84 s with two async works at a time,
 * 1.65 s with every batch queued on libuv at once (four threads on two cores, no pool left for
 * file I/O).
 *
 * computePool(threads) -> handle; closeComputePool(handle) waits for the threads (after the caller
 * saw every job finish) and releases them. A pool keeps the process alive only while a job is out.
 */
#include <pthread.h>
#include <stdlib.h>
#include "compute-pool.h"

struct dm_pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct dm_job *head, *tail;
  int stop, closed;
  int nthreads;
  pthread_t *threads;
  napi_threadsafe_function tsfn;
  napi_ref self; /* holds the handle while jobs are out: deliver() needs the pool */
  uint32_t pending; /* jobs submitted and not yet finished; JavaScript thread only */
};

static void *compute_thread(void *arg) {
  struct dm_pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (p->head == NULL && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
    struct dm_job *job = p->head;
    if (job != NULL) {
      p->head = job->next;
      if (p->head == NULL) p->tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    if (job == NULL) return NULL; /* stopping, and the queue is empty */
    job->run(job);
    napi_call_threadsafe_function(p->tsfn, job, napi_tsfn_blocking);
  }
}

/* On the JavaScript thread (env NULL while the environment is torn down: free only). */
static void deliver(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  struct dm_pool *p = context;
  struct dm_job *job = data;
  if (env != NULL && --p->pending == 0) {
    napi_unref_threadsafe_function(env, p->tsfn);
    napi_reference_unref(env, p->self, NULL);
  }
  job->finish(env, job);
}

static void stop_threads(struct dm_pool *p) {
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  p->nthreads = 0;
}

static void free_pool(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct dm_pool *p = data;
  if (!p->closed) stop_threads(p);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p->threads);
  free(p);
}

napi_value dm_compute_pool_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name, handle;
  uint32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, argv[0], &n) != napi_ok || n < 1 || n > 1024)
    return fail(env, "computePool: expected a thread count from 1 to 1024");
  struct dm_pool *p = calloc(1, sizeof(struct dm_pool));
  pthread_t *threads = calloc(n, sizeof(pthread_t));
  if (p == NULL || threads == NULL) {
    free(p);
    free(threads);
    return fail(env, "computePool: out of memory");
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  p->threads = threads;
  napi_create_string_utf8(env, "datamover:computePool", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, p, deliver, &p->tsfn) != napi_ok) {
    free_pool(env, p, NULL);
    return fail(env, "computePool: cannot create the completion channel");
  }
  napi_unref_threadsafe_function(env, p->tsfn);
  for (uint32_t i = 0; i < n; i++) {
    if (pthread_create(&p->threads[i], NULL, compute_thread, p) != 0) {
      stop_threads(p);
      napi_release_threadsafe_function(p->tsfn, napi_tsfn_abort);
      p->closed = 1;
      free_pool(env, p, NULL);
      return fail(env, "computePool: cannot start a thread");
    }
    p->nthreads++;
  }
  if (napi_create_external(env, p, free_pool, NULL, &handle) != napi_ok ||
      napi_create_reference(env, handle, 0, &p->self) != napi_ok)
    return fail(env, "computePool: no handle");
  return handle;
}

static struct dm_pool *pool_of(napi_env env, napi_value handle) {
  void *p = NULL;
  if (napi_get_value_external(env, handle, &p) != napi_ok) return NULL;
  return p;
}

int dm_compute_pool_submit(napi_env env, napi_value handle, struct dm_job *job) {
  struct dm_pool *p = pool_of(env, handle);
  if (p == NULL || p->closed) return 0;
  if (p->pending++ == 0) {
    napi_ref_threadsafe_function(env, p->tsfn);
    napi_reference_ref(env, p->self, NULL);
  }
  job->next = NULL;
  pthread_mutex_lock(&p->mu);
  if (p->tail != NULL)
    p->tail->next = job;
  else
    p->head = job;
  p->tail = job;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return 1;
}

napi_value dm_compute_pool_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct dm_pool *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      (p = pool_of(env, argv[0])) == NULL)
    return fail(env, "closeComputePool: expected a computePool handle");
  if (p->closed) return NULL;
  if (p->pending != 0) return fail(env, "closeComputePool: jobs are still out");
  stop_threads(p);
  napi_release_threadsafe_function(p->tsfn, napi_tsfn_release);
  p->closed = 1;
  return NULL;
}
