/*
 * The agent VMs' allocator: skynet's lalloc (per-VM accounting + limit) over skynet_lalloc. Blocks of the
 * service library's prototypes (allocated while v->compiling) go to the code heap (native/code_heap.c), all
 * others to the VM's realloc/free (the variant's allocator, or libc's for the script check).
 */
#include <string.h>

#include "agent_vm.h"

void *agent_lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  vm_t *v = ud;
  size_t old = ptr ? osize : 0;
  int in_ch = ptr && ch_owns(ptr);
  if (nsize == 0) {
    if (in_ch) {
      ch_free(v->ch, ptr, osize);
      v->code_bytes -= old;
    } else {
      v->fr(ptr);
    }
    v->bytes -= old;
    return NULL;
  }
  if (nsize > old && v->max_bytes && v->bytes - old + nsize > v->max_bytes) {
    v->mem_refused = 1;
    return NULL;
  }
  if (in_ch || (!ptr && v->compiling && v->ch)) {
    if (in_ch && ch_same_class(old, nsize)) {
      v->code_bytes = v->code_bytes - old + nsize;
      v->bytes = v->bytes - old + nsize;
      return ptr;
    }
    void *np = ch_alloc(v->ch, nsize);
    if (np) {
      if (ptr) {
        memcpy(np, ptr, old < nsize ? old : nsize);
        ch_free(v->ch, ptr, old);
      }
      v->code_bytes = v->code_bytes - old + nsize;
      v->bytes = v->bytes - old + nsize;
      return np;
    }
    if (in_ch) { /* too big for the code heap: it moves to the target */
      np = v->re(NULL, nsize);
      if (!np) return NULL;
      memcpy(np, ptr, old < nsize ? old : nsize);
      ch_free(v->ch, ptr, old);
      v->code_bytes -= old;
      v->bytes = v->bytes - old + nsize;
      return np;
    }
  }
  void *np = v->re(ptr, nsize);
  if (np) v->bytes = v->bytes - old + nsize;
  return np;
}
