/*
 * simload allocator shim: the C half of src/alloc/allocator.ts.
 *
 * Resolves malloc/free/realloc/mallctl of ONE target library per process (dlopen + dlsym with a prefix, or
 * the process's own symbols for glibc and LD_PRELOADed libraries), keeps a handle table so JavaScript never
 * sees a raw pointer (a double free or a foreign handle is an error code, not a crash), and batches whole
 * object sets so one FFI call covers many allocations. Every thread of the process (Node worker_threads)
 * loads the same .so, so the table and the target are shared; a mutex guards the table.
 *
 * The handle table is native/handles.c (the agent library's too): handles are doubles holding gen * 2^32 + index,
 * and a freed slot bumps its generation, so a stale handle never matches a reused slot.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "handles.h"

#define SL_OK 0
#define SL_ERR_BAD_HANDLE -1
#define SL_ERR_NOMEM -2
#define SL_ERR_RANGE -3
#define SL_ERR_NOT_LOADED -4
#define SL_ERR_MALLCTL -5
#define SL_ERR_OTHER_LIB -6
#define SL_ERR_LOAD -7
#define SL_ERR_ARG -8

#define KIND_OBJECT 1
#define KIND_SET 2

typedef void *(*malloc_fn)(size_t);
typedef void (*free_fn)(void *);
typedef void *(*realloc_fn)(void *, size_t);
typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef struct mallinfo2 (*mallinfo2_fn)(void);
typedef int (*malloc_trim_fn)(size_t);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool loaded = false;
static char loaded_key[4096];
static malloc_fn t_malloc;
static free_fn t_free;
static realloc_fn t_realloc;
static mallctl_fn t_mallctl;
static mallinfo2_fn t_mallinfo2;
static malloc_trim_fn t_malloc_trim;
static char conf_messages[8192];

static __thread char last_error[1024];

static void set_error(const char *fmt, const char *a, const char *b) {
  snprintf(last_error, sizeof last_error, fmt, a ? a : "", b ? b : "");
}

/* Objects and sets (KIND_OBJECT, KIND_SET), guarded by `lock`; 4096 slots at first. */
static handle_table_t table = HANDLE_TABLE_INIT(&lock, 4096);

/* A set: the player's state. Allocated from the target allocator like everything a service owns. */
typedef struct {
  uint32_t n;
  double total;
  void **objs;
  uint32_t *sizes;
} set_t;

/* ---- loading ---- */

static void *sym(void *h, const char *prefix, const char *name) {
  char full[256];
  snprintf(full, sizeof full, "%s%s", prefix, name);
  return dlsym(h, full);
}

/*
 * jemalloc parses its malloc_conf when it initialises (a constructor at dlopen, or the first call) and only
 * prints "<jemalloc>: ..." to stderr when the conf is bad. Capture stderr around dlopen and the first call so
 * the caller can turn it into an error; what was captured is still written to the real stderr.
 */
static int cap_saved = -1, cap_read = -1;
static struct sigaction cap_old_abrt;

/*
 * `abort_conf:true` makes jemalloc abort() right after printing its reason into the capture pipe: pass what was
 * captured on to the real stderr first, so the reason is not lost with the process. Async-signal-safe calls only.
 */
static void capture_on_abort(int sig) {
  if (cap_saved >= 0 && cap_read >= 0) {
    char buf[4096];
    fcntl(cap_read, F_SETFL, O_NONBLOCK);
    ssize_t n = read(cap_read, buf, sizeof buf);
    if (n > 0) {
      ssize_t w = write(cap_saved, buf, (size_t)n);
      (void)w;
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void capture_begin(void) {
  int fds[2];
  conf_messages[0] = '\0';
  fflush(stderr);
  cap_saved = dup(2);
  if (cap_saved < 0) return;
  if (pipe(fds) != 0) {
    close(cap_saved);
    cap_saved = -1;
    return;
  }
  dup2(fds[1], 2);
  close(fds[1]);
  cap_read = fds[0];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = capture_on_abort;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGABRT, &sa, &cap_old_abrt);
}

static void capture_end(void) {
  if (cap_saved < 0) return;
  sigaction(SIGABRT, &cap_old_abrt, NULL);
  fflush(stderr);
  dup2(cap_saved, 2);
  close(cap_saved);
  cap_saved = -1;
  fcntl(cap_read, F_SETFL, O_NONBLOCK);
  ssize_t n = read(cap_read, conf_messages, sizeof conf_messages - 1);
  close(cap_read);
  cap_read = -1;
  if (n > 0) {
    conf_messages[n] = '\0';
    ssize_t w = write(2, conf_messages, (size_t)n);
    (void)w;
  } else {
    conf_messages[0] = '\0';
  }
}

/*
 * lib: path of the library, or NULL/"" for the process's own symbols (glibc, or an LD_PRELOADed library).
 * prefix: "je_" or "". need_mallctl: 1 for jemalloc (stats), 0 for glibc (mallinfo2/malloc_trim).
 * Idempotent for the same arguments (every worker thread calls it); another library is SL_ERR_OTHER_LIB.
 */
int sl_init(const char *lib, const char *prefix, int need_mallctl) {
  char key[4096];
  snprintf(key, sizeof key, "%s|%s|%d", lib ? lib : "", prefix ? prefix : "", need_mallctl);
  pthread_mutex_lock(&lock);
  if (loaded) {
    int same = strcmp(key, loaded_key) == 0;
    pthread_mutex_unlock(&lock);
    if (!same) {
      set_error("another allocator is already loaded in this process (%s); one variant per process", loaded_key, NULL);
      return SL_ERR_OTHER_LIB;
    }
    return SL_OK;
  }
  void *h = RTLD_DEFAULT;
  capture_begin();
  if (lib && lib[0]) {
    h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      capture_end();
      set_error("dlopen failed: %s", dlerror(), NULL);
      pthread_mutex_unlock(&lock);
      return SL_ERR_LOAD;
    }
  }
  const char *p = prefix ? prefix : "";
  malloc_fn m = (malloc_fn)sym(h, p, "malloc");
  free_fn f = (free_fn)sym(h, p, "free");
  realloc_fn r = (realloc_fn)sym(h, p, "realloc");
  mallctl_fn c = (mallctl_fn)sym(h, p, "mallctl");
  if (!m || !f || !r) {
    capture_end();
    set_error("malloc/free/realloc with prefix '%s' not found in the library%s (wrong --prefix?)", p, "");
    pthread_mutex_unlock(&lock);
    return SL_ERR_LOAD;
  }
  if (need_mallctl && !c) {
    capture_end();
    set_error("%smallctl not found: not a jemalloc library, or the prefix is not '%s'", p, p);
    pthread_mutex_unlock(&lock);
    return SL_ERR_LOAD;
  }
  t_malloc = m;
  t_free = f;
  t_realloc = r;
  t_mallctl = need_mallctl ? c : NULL;
  if (!need_mallctl) {
    t_mallinfo2 = (mallinfo2_fn)dlsym(RTLD_DEFAULT, "mallinfo2");
    t_malloc_trim = (malloc_trim_fn)dlsym(RTLD_DEFAULT, "malloc_trim");
  }
  t_free(t_malloc(1)); /* initialises jemalloc if its constructor did not */
  capture_end();
  snprintf(loaded_key, sizeof loaded_key, "%s", key);
  loaded = true;
  pthread_mutex_unlock(&lock);
  return SL_OK;
}

/* For native/agent.c: the target's realloc (0) and free (1), which Lua VMs allocate through as snlua does. */
void *sl_target_fn(int which) { return !loaded ? NULL : which == 0 ? (void *)t_realloc : (void *)t_free; }

/* What jemalloc printed while parsing its conf at load ("" if nothing). */
const char *sl_conf_messages(void) { return conf_messages; }
const char *sl_last_error(void) { return last_error; }

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

/* ---- mallctl ---- */

static int ctl_size(const char *name, double *out) {
  size_t v = 0, len = sizeof v;
  if (t_mallctl(name, &v, &len, NULL, 0) != 0) {
    set_error("mallctl(\"%s\") failed%s", name, "");
    return SL_ERR_MALLCTL;
  }
  *out = (double)v;
  return SL_OK;
}

static int refresh_epoch(void) {
  uint64_t e = 1;
  size_t len = sizeof e;
  if (t_mallctl("epoch", &e, &len, &e, len) != 0) {
    set_error("mallctl(\"epoch\") failed%s%s", NULL, NULL);
    return SL_ERR_MALLCTL;
  }
  return SL_OK;
}

/*
 * out[8]: allocated, active, metadata, resident, mapped, retained, pdirty bytes, pmuzzy bytes.
 * glibc: allocated = active = in-use bytes, mapped = resident = arena + mmapped, pdirty = free bytes held.
 */
int sl_stats(double *out) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  if (!t_mallctl) {
    memset(out, 0, 8 * sizeof(double));
    if (!t_mallinfo2) return SL_OK;
    struct mallinfo2 mi = t_mallinfo2();
    out[0] = out[1] = (double)(mi.uordblks + mi.hblkhd);
    out[3] = out[4] = (double)(mi.arena + mi.hblkhd);
    out[6] = (double)mi.fordblks;
    return SL_OK;
  }
  int rc = refresh_epoch();
  if (rc) return rc;
  static const char *names[6] = {"stats.allocated", "stats.active", "stats.metadata", "stats.resident", "stats.mapped", "stats.retained"};
  for (int i = 0; i < 6; i++)
    if ((rc = ctl_size(names[i], &out[i]))) return rc;
  double page, pdirty, pmuzzy;
  if ((rc = ctl_size("arenas.page", &page))) return rc;
  if ((rc = ctl_size("stats.arenas.4096.pdirty", &pdirty))) return rc;
  if ((rc = ctl_size("stats.arenas.4096.pmuzzy", &pmuzzy))) return rc;
  out[6] = pdirty * page;
  out[7] = pmuzzy * page;
  return SL_OK;
}

/* out[4]: dirty_decay_ms, muzzy_decay_ms, background_thread (0/1), narenas; version into buf. glibc: 1 with -1s. */
int sl_opts(double *out, char *version, int version_len) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  out[0] = out[1] = out[2] = out[3] = -1;
  if (version_len > 0) version[0] = '\0';
  if (!t_mallctl) return SL_OK;
  ssize_t d = 0;
  size_t len = sizeof d;
  if (t_mallctl("opt.dirty_decay_ms", &d, &len, NULL, 0) == 0) out[0] = (double)d;
  len = sizeof d;
  if (t_mallctl("opt.muzzy_decay_ms", &d, &len, NULL, 0) == 0) out[1] = (double)d;
  bool b = false;
  len = sizeof b;
  if (t_mallctl("opt.background_thread", &b, &len, NULL, 0) == 0) out[2] = b ? 1 : 0;
  unsigned u = 0;
  len = sizeof u;
  if (t_mallctl("opt.narenas", &u, &len, NULL, 0) == 0) out[3] = (double)u;
  const char *v = NULL;
  len = sizeof v;
  if (t_mallctl("version", &v, &len, NULL, 0) == 0 && v && version_len > 0) {
    strncpy(version, v, (size_t)version_len - 1);
    version[version_len - 1] = '\0';
  }
  return SL_OK;
}

/* Flush this thread's tcache so its cached objects count as freed, then run `what` on all arenas. */
static int arena_all(const char *what) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  if (!t_mallctl) {
    if (strcmp(what, "arena.4096.purge") == 0 && t_malloc_trim) t_malloc_trim(0);
    return SL_OK;
  }
  t_mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
  if (t_mallctl(what, NULL, NULL, NULL, 0) != 0) {
    set_error("mallctl(\"%s\") failed%s", what, NULL);
    return SL_ERR_MALLCTL;
  }
  return SL_OK;
}

int sl_purge(void) { return arena_all("arena.4096.purge"); }
int sl_decay(void) { return arena_all("arena.4096.decay"); }

/* Live handles (objects, sets): lets tests see that frees really happened. */
int sl_live(double *out) {
  uint64_t live[HANDLE_KINDS];
  handles_live(&table, live);
  out[0] = (double)live[KIND_OBJECT];
  out[1] = (double)live[KIND_SET];
  return SL_OK;
}

/* ---- decay per arena (issue 10) ---- */

/*
 * Threads that loaded the allocator, with the arena jemalloc bound each to (`thread.arena`). Registered once per
 * thread by sl_thread_register; jemalloc keeps a thread on its arena (no percpu_arena here), so once is enough.
 */
#define SL_MAX_THREADS 256
static struct {
  pid_t tid;
  unsigned arena;
} reg_threads[SL_MAX_THREADS];
static int reg_count = 0;

/* Binds the calling thread to its arena now (reading thread.arena chooses one) and records it. Returns the arena or an error. */
int sl_thread_register(void) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  if (!t_mallctl) return SL_OK;
  unsigned a = 0;
  size_t len = sizeof a;
  if (t_mallctl("thread.arena", &a, &len, NULL, 0) != 0) {
    set_error("mallctl(\"%s\") failed%s", "thread.arena", "");
    return SL_ERR_MALLCTL;
  }
  pid_t tid = gettid();
  pthread_mutex_lock(&lock);
  int i = 0;
  while (i < reg_count && reg_threads[i].tid != tid) i++;
  if (i < SL_MAX_THREADS) {
    reg_threads[i].tid = tid;
    reg_threads[i].arena = a;
    if (i == reg_count) reg_count++;
  }
  pthread_mutex_unlock(&lock);
  return (int)a;
}

static int ctl_u64(const char *name, double *out) {
  uint64_t v = 0;
  size_t len = sizeof v;
  if (t_mallctl(name, &v, &len, NULL, 0) != 0) return SL_ERR_MALLCTL;
  *out = (double)v;
  return SL_OK;
}

#define SL_ARENA_FIELDS 9
/*
 * Per initialised arena, SL_ARENA_FIELDS doubles: index, pdirty bytes, pmuzzy bytes, dirty_npurge,
 * dirty_nmadvise, dirty_purged (pages), muzzy_npurge, muzzy_nmadvise, muzzy_purged (pages). The names are the
 * same in jemalloc 5.0.x and 5.3.0. Call after sl_stats (which refreshes the epoch). threads: per registered
 * thread (tid, arena), at most max_threads; *nthreads gets the count. Returns the number of arenas written.
 */
int sl_arena_stats(double *out, int max_arenas, double *threads, int max_threads, int *nthreads) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  *nthreads = 0;
  if (!t_mallctl) return 0;
  unsigned narenas = 0;
  size_t len = sizeof narenas;
  if (t_mallctl("arenas.narenas", &narenas, &len, NULL, 0) != 0) {
    set_error("mallctl(\"%s\") failed%s", "arenas.narenas", "");
    return SL_ERR_MALLCTL;
  }
  double page;
  int rc = ctl_size("arenas.page", &page);
  if (rc) return rc;
  int n = 0;
  char name[96];
  for (unsigned i = 0; i < narenas && n < max_arenas; i++) {
    bool init = false;
    len = sizeof init;
    snprintf(name, sizeof name, "arena.%u.initialized", i);
    if (t_mallctl(name, &init, &len, NULL, 0) != 0 || !init) continue;
    double *o = out + (size_t)n * SL_ARENA_FIELDS;
    o[0] = (double)i;
    static const char *sizes[2] = {"pdirty", "pmuzzy"};
    static const char *counts[6] = {"dirty_npurge", "dirty_nmadvise", "dirty_purged", "muzzy_npurge", "muzzy_nmadvise", "muzzy_purged"};
    for (int k = 0; k < 2; k++) {
      snprintf(name, sizeof name, "stats.arenas.%u.%s", i, sizes[k]);
      if ((rc = ctl_size(name, &o[1 + k]))) return rc;
      o[1 + k] *= page;
    }
    for (int k = 0; k < 6; k++) {
      snprintf(name, sizeof name, "stats.arenas.%u.%s", i, counts[k]);
      if (ctl_u64(name, &o[3 + k])) {
        set_error("mallctl(\"%s\") failed%s", name, " (a build without --enable-stats?)");
        return SL_ERR_MALLCTL;
      }
    }
    n++;
  }
  pthread_mutex_lock(&lock);
  int t = reg_count < max_threads ? reg_count : max_threads;
  for (int k = 0; k < t; k++) {
    threads[2 * k] = (double)reg_threads[k].tid;
    threads[2 * k + 1] = (double)reg_threads[k].arena;
  }
  pthread_mutex_unlock(&lock);
  *nthreads = t;
  return n;
}

/* ---- fragmentation per size class ---- */

/*
 * The bins' static tables (region size, slab size), read once per process: they never change after
 * jemalloc initialises. arenas.nbins is an unsigned; the sizes are size_t. Same names in 5.0.x and 5.3.0.
 */
#define SL_MAX_BINS 256
static unsigned bin_n = 0;
static double bin_size[SL_MAX_BINS], bin_slab[SL_MAX_BINS];
static bool bins_read = false;

static int read_bin_tables(void) {
  unsigned n = 0;
  size_t len = sizeof n;
  if (t_mallctl("arenas.nbins", &n, &len, NULL, 0) != 0) {
    set_error("mallctl(\"%s\") failed%s", "arenas.nbins", "");
    return SL_ERR_MALLCTL;
  }
  if (n > SL_MAX_BINS) n = SL_MAX_BINS;
  char name[96];
  int rc;
  for (unsigned j = 0; j < n; j++) {
    snprintf(name, sizeof name, "arenas.bin.%u.size", j);
    if ((rc = ctl_size(name, &bin_size[j]))) return rc;
    snprintf(name, sizeof name, "arenas.bin.%u.slab_size", j);
    if ((rc = ctl_size(name, &bin_slab[j]))) return rc;
  }
  bin_n = n;
  bins_read = true;
  return SL_OK;
}

#define SL_BIN_FIELDS 4
/*
 * Small size classes of all arenas merged (MALLCTL_ARENAS_ALL = 4096), SL_BIN_FIELDS doubles per bin that holds
 * a slab or a region: region size, slab size, curregs, curslabs. active of a bin = curslabs x slab size,
 * allocated = curregs x size (regions in thread caches count as allocated, as in stats.allocated).
 * large[3]: stats.arenas.4096.large.allocated, and large.nmalloc - large.ndalloc (live large extents).
 * Call after sl_stats (which refreshes the epoch), so all figures are of the same snapshot. Returns the bins written.
 */
int sl_size_classes(double *out, int max_bins, double *large) {
  if (!loaded) return SL_ERR_NOT_LOADED;
  large[0] = large[1] = 0;
  if (!t_mallctl) return 0;
  int rc = SL_OK;
  pthread_mutex_lock(&lock);
  if (!bins_read) rc = read_bin_tables();
  pthread_mutex_unlock(&lock);
  if (rc) return rc;
  char name[96];
  int n = 0;
  for (unsigned j = 0; j < bin_n && n < max_bins; j++) {
    double regs, slabs;
    snprintf(name, sizeof name, "stats.arenas.4096.bins.%u.curregs", j);
    if ((rc = ctl_size(name, &regs))) return rc;
    snprintf(name, sizeof name, "stats.arenas.4096.bins.%u.curslabs", j);
    if ((rc = ctl_size(name, &slabs))) return rc;
    if (regs == 0 && slabs == 0) continue;
    double *o = out + (size_t)n * SL_BIN_FIELDS;
    o[0] = bin_size[j];
    o[1] = bin_slab[j];
    o[2] = regs;
    o[3] = slabs;
    n++;
  }
  double nmalloc, ndalloc;
  if ((rc = ctl_size("stats.arenas.4096.large.allocated", &large[0]))) return rc;
  if (ctl_u64("stats.arenas.4096.large.nmalloc", &nmalloc) || ctl_u64("stats.arenas.4096.large.ndalloc", &ndalloc)) {
    set_error("mallctl(\"%s\") failed%s", "stats.arenas.4096.large.nmalloc/ndalloc", "");
    return SL_ERR_MALLCTL;
  }
  large[1] = nmalloc - ndalloc;
  return n;
}
