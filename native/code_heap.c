/*
 * The code heap of native/agent.c: where a service library's function prototypes live, outside the simulated
 * heap.
 *
 * skynet loads every Lua file once per process: its code cache (3rd/lua/lauxlib.c, luaL_loadfilex) keeps the
 * prototypes (bytecode, constants, debug info) in one shared state and gives each snlua VM only closures over
 * them. Measured on skynet f19d1605: `require "skynet"` adds 16.0 KiB to a VM with the cache on, 79.1 KiB with
 * it off (npm run fidelity:vm). Debian's Lua cannot share prototypes between states, so simload compiles the
 * library in every VM but puts what the compiler allocates in this separate heap (never the variant's
 * allocator): the VM's objects (tables, closures, upvalues, strings made at run time) stay on the simulated
 * heap, as in skynet. A block stays in the heap it was born in. Each VM takes 128 KiB chunks of one reserved
 * range and keeps its own size-class free lists (one thread per VM, so no lock but the chunks'); at lua_close
 * its chunks go back with MADV_DONTNEED, so the copies leave Rss with the VM.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "code_heap.h"

#define CH_RESERVE (64ull << 30)
#define CH_CHUNK ((size_t)128 << 10)
#define CH_SMALL 1024u
#define CH_NCLASSES (64 + 6) /* 16..1024 by 16, then 2 KiB..64 KiB by powers of two */
static char *ch_base = NULL;
static size_t ch_top = 0;
static char **ch_spare = NULL; /* chunks given back, already MADV_DONTNEED'ed */
static size_t ch_nspare = 0, ch_capspare = 0;
static int64_t ch_live = 0; /* bytes in live blocks, all VMs (atomic) */
static pthread_mutex_t ch_lock = PTHREAD_MUTEX_INITIALIZER;

struct code_heap {
  void *free_list[CH_NCLASSES];
  char *cur;
  size_t left;
  char **chunks;
  size_t nchunks, cap;
};

static int ch_class(size_t n) {
  if (n <= CH_SMALL) return n == 0 ? 0 : (int)((n + 15) / 16) - 1;
  int c = 64;
  size_t sz = 2048;
  while (sz < n) {
    sz <<= 1;
    c++;
  }
  return c < CH_NCLASSES ? c : -1;
}

static size_t ch_class_size(int c) { return c < 64 ? (size_t)(c + 1) * 16 : (size_t)2048 << (c - 64); }

int ch_owns(const void *p) { return ch_base && (const char *)p >= ch_base && (const char *)p < ch_base + CH_RESERVE; }

static void ch_count(int64_t delta) { __atomic_add_fetch(&ch_live, delta, __ATOMIC_RELAXED); }

static char *ch_chunk(void) {
  char *c = NULL;
  pthread_mutex_lock(&ch_lock);
  if (!ch_base) {
    void *m = mmap(NULL, CH_RESERVE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m != MAP_FAILED) ch_base = m;
  }
  if (ch_nspare) {
    c = ch_spare[--ch_nspare];
  } else if (ch_base && ch_top + CH_CHUNK <= CH_RESERVE) {
    c = ch_base + ch_top;
    ch_top += CH_CHUNK;
  }
  pthread_mutex_unlock(&ch_lock);
  return c;
}

/* A block of n bytes from this VM's code heap, or NULL (too big, or no chunk: the caller takes the target). */
void *ch_alloc(code_heap_t *h, size_t n) {
  int c = ch_class(n);
  if (c < 0) return NULL;
  size_t sz = ch_class_size(c);
  void *p = h->free_list[c];
  if (p) {
    h->free_list[c] = *(void **)p;
  } else {
    if (h->left < sz) {
      if (h->nchunks == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 4;
        char **nc = realloc(h->chunks, ncap * sizeof *nc);
        if (!nc) return NULL;
        h->chunks = nc;
        h->cap = ncap;
      }
      char *chunk = ch_chunk();
      if (!chunk) return NULL;
      h->chunks[h->nchunks++] = chunk;
      h->cur = chunk;
      h->left = CH_CHUNK;
    }
    p = h->cur;
    h->cur += sz;
    h->left -= sz;
  }
  ch_count((int64_t)sz);
  return p;
}

void ch_free(code_heap_t *h, void *p, size_t n) {
  int c = ch_class(n);
  if (c < 0) return; /* not a code-heap size: never allocated there */
  *(void **)p = h->free_list[c];
  h->free_list[c] = p;
  ch_count(-(int64_t)ch_class_size(c));
}

code_heap_t *ch_new(void) { return calloc(1, sizeof(code_heap_t)); }

int ch_same_class(size_t a, size_t b) { return ch_class(a) == ch_class(b); }

int64_t ch_live_bytes(void) { return __atomic_load_n(&ch_live, __ATOMIC_RELAXED); }

/* After lua_close: the VM's chunks leave Rss (MADV_DONTNEED) and wait for another VM; h is freed. */
void ch_release(code_heap_t *h) {
  for (size_t i = 0; i < h->nchunks; i++) madvise(h->chunks[i], CH_CHUNK, MADV_DONTNEED);
  pthread_mutex_lock(&ch_lock);
  if (ch_nspare + h->nchunks > ch_capspare) {
    size_t ncap = (ch_nspare + h->nchunks) * 2;
    char **ns = realloc(ch_spare, ncap * sizeof *ns);
    if (ns) {
      ch_spare = ns;
      ch_capspare = ncap;
    }
  }
  for (size_t i = 0; i < h->nchunks && ch_nspare < ch_capspare; i++) ch_spare[ch_nspare++] = h->chunks[i];
  pthread_mutex_unlock(&ch_lock);
  free(h->chunks);
  free(h);
}
