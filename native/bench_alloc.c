/*
 * The C side of bench/alloc.ts: the same loops as the bridge, against the same library, resolved the same way
 * (dlopen + dlsym with a prefix). Prints one JSON line: ns per allocate+free pair, plain and batched+written.
 * usage: bench_alloc LIB|- PREFIX SIZE PAIRS BATCH ROUNDS
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *idle(void *arg) {
  (void)arg;
  pause();
  return NULL;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s LIB|- PREFIX SIZE PAIRS BATCH ROUNDS\n", argv[0]);
    return 2;
  }
  /* Node is multi-threaded; a second thread keeps glibc off its single-thread fast path, as in Node. */
  pthread_t t;
  pthread_create(&t, NULL, idle, NULL);
  int own = strcmp(argv[1], "-") == 0;
  void *h = own ? RTLD_DEFAULT : dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!own && !h) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  const char *prefix = strcmp(argv[2], "none") == 0 ? "" : argv[2];
  char name[64];
  snprintf(name, sizeof name, "%smalloc", prefix);
  void *(*m)(size_t) = (void *(*)(size_t))dlsym(h, name);
  snprintf(name, sizeof name, "%sfree", prefix);
  void (*f)(void *) = (void (*)(void *))dlsym(h, name);
  if (!m || !f) {
    fprintf(stderr, "no %smalloc/%sfree\n", prefix, prefix);
    return 1;
  }
  size_t size = strtoul(argv[3], NULL, 10);
  long pairs = strtol(argv[4], NULL, 10), batch = strtol(argv[5], NULL, 10), rounds = strtol(argv[6], NULL, 10);
  void **objs = calloc((size_t)batch, sizeof(void *));

  for (long i = 0; i < pairs / 10; i++) { /* warm-up */
    void *p = m(size);
    __asm__ volatile("" : : "r"(p) : "memory");
    f(p);
  }
  double t0 = now_ns();
  for (long i = 0; i < pairs; i++) {
    void *p = m(size);
    __asm__ volatile("" : : "r"(p) : "memory");
    f(p);
  }
  double plain = (now_ns() - t0) / (double)pairs;

  /* Batched as allocSet/freeSet do it: allocate and write a set, then free it. */
  t0 = now_ns();
  for (long r = 0; r < rounds; r++) {
    for (long i = 0; i < batch; i++) {
      objs[i] = m(size);
      memset(objs[i], 0x5a, size);
    }
    for (long i = 0; i < batch; i++) f(objs[i]);
  }
  double batched = (now_ns() - t0) / (double)(rounds * batch);
  printf("{\"plainNs\":%.2f,\"batchedNs\":%.2f}\n", plain, batched);
  return 0;
}
