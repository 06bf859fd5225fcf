/*
 * The agent VMs' handle table (bookkeeping from libc, not the simulated heap). A handle is a double,
 * gen * 2^32 + index like the shim's, valid in every thread; the table is guarded by agent_lock.
 */
#include <stdlib.h>

#include "agent_vm.h"

#define TWO32 4294967296.0
#define GEN_MAX ((1u << 20) - 1)

typedef struct {
  vm_t *v;
  uint32_t gen;
  uint32_t next_free;
} slot_t;

static slot_t *slots = NULL;
static uint32_t nslots = 0, cap = 0, free_head = UINT32_MAX;
static uint64_t live_vms = 0;

double agent_table_insert(vm_t *v) {
  uint32_t idx;
  pthread_mutex_lock(&agent_lock);
  if (free_head != UINT32_MAX) {
    idx = free_head;
    free_head = slots[idx].next_free;
  } else {
    if (nslots == cap) {
      uint32_t ncap = cap ? cap * 2 : 1024;
      slot_t *ns = realloc(slots, (size_t)ncap * sizeof(slot_t));
      if (!ns) {
        pthread_mutex_unlock(&agent_lock);
        return SLA_ERR_NOMEM;
      }
      slots = ns;
      cap = ncap;
    }
    idx = nslots++;
    slots[idx].gen = 1;
  }
  slots[idx].v = v;
  live_vms++;
  double h = (double)slots[idx].gen * TWO32 + (double)idx;
  pthread_mutex_unlock(&agent_lock);
  return h;
}

/* The VM of a live handle, or NULL. `take` removes it from the table (the one place a handle dies). */
vm_t *agent_table_get(double h, int take) {
  if (!(h >= 0) || h >= TWO32 * (double)(GEN_MAX + 1)) return NULL;
  uint64_t u = (uint64_t)h;
  if ((double)u != h) return NULL;
  uint32_t idx = (uint32_t)(u & 0xffffffffu), gen = (uint32_t)(u >> 32);
  pthread_mutex_lock(&agent_lock);
  vm_t *v = NULL;
  if (idx < nslots && slots[idx].v && slots[idx].gen == gen) {
    v = slots[idx].v;
    if (take) {
      slots[idx].v = NULL;
      slots[idx].gen = slots[idx].gen >= GEN_MAX ? 1 : slots[idx].gen + 1;
      slots[idx].next_free = free_head;
      free_head = idx;
      live_vms--;
    }
  }
  pthread_mutex_unlock(&agent_lock);
  return v;
}

uint64_t agent_live_vms(void) {
  pthread_mutex_lock(&agent_lock);
  uint64_t n = live_vms;
  pthread_mutex_unlock(&agent_lock);
  return n;
}
