/* compute-pool.c: compute threads with a job queue, finishing jobs on the JavaScript thread. */
#ifndef DATAMOVER_COMPUTE_POOL_H
#define DATAMOVER_COMPUTE_POOL_H

#include "addon.h"

struct dm_job {
  struct dm_job *next;
  /* On a compute thread. */
  void (*run)(struct dm_job *job);
  /* On the JavaScript thread; env is NULL when the environment is going away (free, call nothing). */
  void (*finish)(napi_env env, struct dm_job *job);
};

/* Queues `job` on the pool `handle` (from computePool); 0 when the handle is not an open pool. */
int dm_compute_pool_submit(napi_env env, napi_value handle, struct dm_job *job);

napi_value dm_compute_pool_new(napi_env env, napi_callback_info info);
napi_value dm_compute_pool_close(napi_env env, napi_callback_info info);

#endif
