/*
 * What the shim's files share (hidden: nothing here leaves the library): the target allocator shim.c loaded, the
 * lock and handle table of objects and sets, and the calling thread's last error.
 */
#ifndef SIMLOAD_SHIM_INTERNAL_H
#define SIMLOAD_SHIM_INTERNAL_H

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handles.h"
#include "shim.h"

#define HIDDEN __attribute__((visibility("hidden")))

#define KIND_OBJECT 1
#define KIND_SET 2

typedef void *(*malloc_fn)(size_t);
typedef void (*free_fn)(void *);
typedef void *(*realloc_fn)(void *, size_t);
typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef struct mallinfo2 (*mallinfo2_fn)(void);
typedef int (*malloc_trim_fn)(size_t);

/* Set once by sl_init under `lock`; read without it afterwards (never changed again). */
extern HIDDEN pthread_mutex_t lock;
extern HIDDEN bool loaded;
extern HIDDEN malloc_fn t_malloc;
extern HIDDEN free_fn t_free;
extern HIDDEN realloc_fn t_realloc;
extern HIDDEN mallctl_fn t_mallctl;
extern HIDDEN mallinfo2_fn t_mallinfo2;
extern HIDDEN malloc_trim_fn t_malloc_trim;

/* Objects and sets (KIND_OBJECT, KIND_SET), guarded by `lock`. */
extern HIDDEN handle_table_t table;

/* A set: the player's state. Allocated from the target allocator like everything a service owns. */
typedef struct {
  uint32_t n;
  double total;
  void **objs;
  uint32_t *sizes;
} set_t;

HIDDEN void set_error(const char *fmt, const char *a, const char *b);

#endif
