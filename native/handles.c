/* The handle table (handles.h), compiled into both native/shim.c's and native/agent.c's libraries. */
#include <stdlib.h>

#include "handles.h"

#define TWO32 4294967296.0
#define HANDLE_GEN_MAX ((1u << 20) - 1)

/* Splits a handle into slot index and generation; 0 for anything no handle could be (negative, NaN, fractional, too big). */
static int decode(double h, uint32_t *idx, uint32_t *gen) {
  if (!(h >= 0) || h >= TWO32 * (double)(HANDLE_GEN_MAX + 1)) return 0;
  uint64_t u = (uint64_t)h;
  if ((double)u != h) return 0;
  *idx = (uint32_t)(u & 0xffffffffu);
  *gen = (uint32_t)(u >> 32);
  return 1;
}

double handles_insert(handle_table_t *t, void *p, int kind) {
  uint32_t idx;
  pthread_mutex_lock(t->lock);
  if (t->free_head != UINT32_MAX) {
    idx = t->free_head;
    t->free_head = t->slots[idx].next_free;
  } else {
    if (t->n == t->cap) {
      uint32_t ncap = t->cap ? t->cap * 2 : t->first_cap;
      /* past 2^31 slots the doubled count would wrap (and index UINT32_MAX ends the free list) */
      handle_slot_t *ns = t->cap > UINT32_MAX / 2 ? NULL : realloc(t->slots, (size_t)ncap * sizeof(handle_slot_t));
      if (!ns) {
        pthread_mutex_unlock(t->lock);
        return -1;
      }
      t->slots = ns;
      t->cap = ncap;
    }
    idx = t->n++;
    t->slots[idx].gen = 1;
  }
  t->slots[idx].p = p;
  t->slots[idx].kind = (uint32_t)kind;
  t->live[kind]++;
  double h = (double)t->slots[idx].gen * TWO32 + (double)idx;
  pthread_mutex_unlock(t->lock);
  return h;
}

handle_slot_t *handles_find(handle_table_t *t, double h, int kind) {
  uint32_t idx, gen;
  if (!decode(h, &idx, &gen) || idx >= t->n) return NULL;
  handle_slot_t *s = &t->slots[idx];
  return s->kind == (uint32_t)kind && s->gen == gen ? s : NULL;
}

void *handles_get(handle_table_t *t, double h, int kind) {
  pthread_mutex_lock(t->lock);
  handle_slot_t *s = handles_find(t, h, kind);
  void *p = s ? s->p : NULL;
  pthread_mutex_unlock(t->lock);
  return p;
}

int handles_take(handle_table_t *t, double h, int kind, void **out) {
  pthread_mutex_lock(t->lock);
  handle_slot_t *s = handles_find(t, h, kind);
  if (!s) {
    pthread_mutex_unlock(t->lock);
    return -1;
  }
  *out = s->p;
  t->live[kind]--;
  s->kind = 0;
  s->p = NULL;
  s->gen = s->gen >= HANDLE_GEN_MAX ? 1 : s->gen + 1;
  s->next_free = t->free_head;
  t->free_head = (uint32_t)(s - t->slots);
  pthread_mutex_unlock(t->lock);
  return 0;
}

void handles_live(handle_table_t *t, uint64_t out[HANDLE_KINDS]) {
  pthread_mutex_lock(t->lock);
  for (int k = 0; k < HANDLE_KINDS; k++) out[k] = t->live[k];
  pthread_mutex_unlock(t->lock);
}
