/*
 * Game packets: sla_packet_new copies a frame into a block from the target allocator on the thread that
 * receives it (the gate); the worker that handles it frees it (sla_packet_free), as skynet's socket thread
 * and workers do.
 */
#include <string.h>

#include "agent_vm.h"

#define PACKET_MAGIC 0x534c504bu /* "SLPK" */
#define PACKET_DEAD 0xdeadbeefu

typedef struct {
  uint32_t magic;
  uint32_t len;
} packet_t;

/* Packets made and not yet freed, and made in all: lets tests see that every packet was freed. */
static uint64_t packets_live = 0, packets_made = 0;

/* A copy of the frame in a block from the target allocator; its address as a double (exact below 2^53). */
EXPORT double sla_packet_new(const uint8_t *data, uint32_t len) {
  if (!agent_target_realloc) return SLA_ERR_NOT_LOADED;
  packet_t *p = agent_target_realloc(NULL, sizeof(packet_t) + len);
  if (!p) return SLA_ERR_NOMEM;
  p->magic = PACKET_MAGIC;
  p->len = len;
  if (len) memcpy(p + 1, data, len);
  __atomic_add_fetch(&packets_live, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&packets_made, 1, __ATOMIC_RELAXED);
  return (double)(uintptr_t)p;
}

/* Frees a packet made by sla_packet_new; a packet freed twice is SLA_ERR_BAD_HANDLE (its magic is gone). */
EXPORT int sla_packet_free(double addr) {
  if (!agent_target_free) return SLA_ERR_NOT_LOADED;
  if (!(addr > 0) || addr >= 9007199254740992.0) return SLA_ERR_ARG;
  packet_t *p = (packet_t *)(uintptr_t)addr;
  if (p->magic != PACKET_MAGIC) return SLA_ERR_BAD_HANDLE;
  p->magic = PACKET_DEAD;
  agent_target_free(p);
  __atomic_sub_fetch(&packets_live, 1, __ATOMIC_RELAXED);
  return 0;
}

/* out[0]: packets not yet freed, out[1]: packets made. */
EXPORT int sla_packets(double *out) {
  out[0] = (double)__atomic_load_n(&packets_live, __ATOMIC_RELAXED);
  out[1] = (double)__atomic_load_n(&packets_made, __ATOMIC_RELAXED);
  return 0;
}
