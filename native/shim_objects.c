/* The allocator shim's single objects and object sets (the synthetic player state): see shim.c. */
#include <stdlib.h>
#include <string.h>

#include "shim_internal.h"

/* ---- single objects ---- */

double sl_malloc(double size) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  if (!(size >= 0)) return SL_ERR_ARG;
  void *p = t_malloc((size_t)size);
  if (!p) return SL_ERR_NOMEM;
  double h = handles_insert(&table, p, KIND_OBJECT);
  if (h >= 0) return h;
  t_free(p);
  return SL_ERR_NOMEM;
}

/* handles_take is the one place a handle dies, so a second free of it (or a handle of the other kind) is
   SL_ERR_BAD_HANDLE, never a double free. */
int sl_free(double h) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  void *p;
  if (handles_take(&table, h, KIND_OBJECT, &p) != 0) return SL_ERR_BAD_HANDLE;
  t_free(p);
  return SL_OK;
}

/* Same handle back on success (the table slot now points at the moved block). */
double sl_realloc(double h, double size) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  if (!(size >= 1)) return SL_ERR_ARG;
  pthread_mutex_lock(&lock);
  handle_slot_t *slot = handles_find(&table, h, KIND_OBJECT);
  if (!slot) {
    pthread_mutex_unlock(&lock);
    return SL_ERR_BAD_HANDLE;
  }
  void *np = t_realloc(slot->p, (size_t)size);
  if (!np) {
    pthread_mutex_unlock(&lock);
    return SL_ERR_NOMEM;
  }
  slot->p = np;
  pthread_mutex_unlock(&lock);
  return h;
}

/* ---- object sets ---- */

static void fill(void *p, size_t n, unsigned seed) { memset(p, 0x5a ^ (int)(seed & 0xff), n); }

double sl_alloc_set(const uint32_t *sizes, uint32_t n) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  set_t *s = t_malloc(sizeof(set_t));
  if (!s) return SL_ERR_NOMEM;
  s->n = n;
  s->total = 0;
  s->objs = n ? t_malloc((size_t)n * sizeof(void *)) : NULL;
  s->sizes = n ? t_malloc((size_t)n * sizeof(uint32_t)) : NULL;
  if (n && (!s->objs || !s->sizes)) goto nomem_meta;
  for (uint32_t i = 0; i < n; i++) {
    size_t sz = sizes[i] ? sizes[i] : 1;
    void *p = t_malloc(sz);
    if (!p) {
      for (uint32_t j = 0; j < i; j++) t_free(s->objs[j]);
      goto nomem_meta;
    }
    /* Real servers initialise their state; unwritten pages would not be resident. */
    fill(p, sz, i);
    s->objs[i] = p;
    s->sizes[i] = (uint32_t)sz;
    s->total += (double)sz;
  }
  double h = handles_insert(&table, s, KIND_SET);
  if (h >= 0) return h;
  for (uint32_t j = 0; j < n; j++) t_free(s->objs[j]);
nomem_meta:
  if (s->objs) t_free(s->objs);
  if (s->sizes) t_free(s->sizes);
  t_free(s);
  return SL_ERR_NOMEM;
}

int sl_free_set(double h) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  void *taken;
  if (handles_take(&table, h, KIND_SET, &taken) != 0) return SL_ERR_BAD_HANDLE;
  set_t *s = taken;
  for (uint32_t i = 0; i < s->n; i++) t_free(s->objs[i]);
  if (s->objs) t_free(s->objs);
  if (s->sizes) t_free(s->sizes);
  t_free(s);
  return SL_OK;
}

/* realloc object `index` of the set and write its grown bytes; returns the set's new byte total. */
double sl_resize_in_set(double h, uint32_t index, uint32_t new_size) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  if (new_size == 0) return SL_ERR_ARG;
  pthread_mutex_lock(&lock);
  handle_slot_t *slot = handles_find(&table, h, KIND_SET);
  if (!slot) {
    pthread_mutex_unlock(&lock);
    return SL_ERR_BAD_HANDLE;
  }
  set_t *s = slot->p;
  if (index >= s->n) {
    pthread_mutex_unlock(&lock);
    return SL_ERR_RANGE;
  }
  uint32_t old = s->sizes[index];
  void *np = t_realloc(s->objs[index], new_size);
  if (!np) {
    pthread_mutex_unlock(&lock);
    return SL_ERR_NOMEM;
  }
  if (new_size > old) fill((char *)np + old, new_size - old, index);
  s->objs[index] = np;
  s->sizes[index] = new_size;
  s->total += (double)new_size - (double)old;
  double total = s->total;
  pthread_mutex_unlock(&lock);
  return total;
}

double sl_set_bytes(double h) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  pthread_mutex_lock(&lock);
  handle_slot_t *slot = handles_find(&table, h, KIND_SET);
  double total = slot ? ((set_t *)slot->p)->total : SL_ERR_BAD_HANDLE;
  pthread_mutex_unlock(&lock);
  return total;
}

/* Per-message temporaries: allocate and write all, then free all. Up to 64 at a time on the stack. */
int sl_churn(const uint32_t *sizes, uint32_t n) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  void *tmp[64];
  for (uint32_t base = 0; base < n; base += 64) {
    uint32_t m = n - base < 64 ? n - base : 64;
    for (uint32_t i = 0; i < m; i++) {
      size_t sz = sizes[base + i] ? sizes[base + i] : 1;
      tmp[i] = t_malloc(sz);
      if (!tmp[i]) {
        for (uint32_t j = 0; j < i; j++) t_free(tmp[j]);
        return SL_ERR_NOMEM;
      }
      fill(tmp[i], sz, i);
    }
    for (uint32_t i = 0; i < m; i++) t_free(tmp[i]);
  }
  return SL_OK;
}
