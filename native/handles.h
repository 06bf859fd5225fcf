/*
 * The handle table of both native libraries (native/shim.c: objects and sets; native/agent.c: Lua VMs), so
 * JavaScript never holds a raw pointer: a double free, a foreign or a stale handle is an error, not a crash.
 *
 * A handle is a double, gen * 2^32 + index (exact in a double), valid in every thread; freeing a slot bumps its
 * generation, so a stale handle never matches the slot's next tenant. Slots come from libc (bookkeeping, not the
 * simulated heap). Each library compiles its own copy (hidden, so the two never bind to each other) over its own
 * table, guarded by the library's own mutex, which the library also holds for its other state.
 */
#ifndef SIMLOAD_HANDLES_H
#define SIMLOAD_HANDLES_H

#include <pthread.h>
#include <stdint.h>

#define HANDLES_API __attribute__((visibility("hidden")))
/* Kinds are 1 .. HANDLE_KINDS - 1 (0 marks a free slot); a handle is only found as the kind it was made as. */
#define HANDLE_KINDS 3

typedef struct {
  void *p;
  uint32_t gen : 24; /* 1 .. HANDLE_GEN_MAX (2^20 - 1) */
  uint32_t kind : 8; /* 0 = free slot */
  uint32_t next_free;
} handle_slot_t;

typedef struct {
  pthread_mutex_t *lock; /* the library's mutex */
  uint32_t first_cap;    /* slots of the first allocation; doubled when full */
  handle_slot_t *slots;
  uint32_t n, cap, free_head;
  uint64_t live[HANDLE_KINDS];
} handle_table_t;

#define HANDLE_TABLE_INIT(lock, first_cap) { (lock), (first_cap), NULL, 0, 0, UINT32_MAX, { 0 } }

/* Each takes t->lock itself, except handles_find. */

/* A new handle for p, or -1 when the table cannot grow (the caller frees p and reports no memory). */
HANDLES_API double handles_insert(handle_table_t *t, void *p, int kind);
/* The pointer of a live handle of this kind, or NULL. */
HANDLES_API void *handles_get(handle_table_t *t, double h, int kind);
/* Removes a live handle of this kind and hands back its pointer: the one place a handle dies. 0, or -1. */
HANDLES_API int handles_take(handle_table_t *t, double h, int kind, void **out);
/* Live handles per kind (out[kind]), read together. */
HANDLES_API void handles_live(handle_table_t *t, uint64_t out[HANDLE_KINDS]);
/* With t->lock held (for a caller that uses the slot under the lock): the slot of a live handle of this kind, or NULL. */
HANDLES_API handle_slot_t *handles_find(handle_table_t *t, double h, int kind);

#endif
