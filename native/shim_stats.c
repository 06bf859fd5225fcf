/* The allocator shim's statistics: jemalloc's mallctl (or glibc's mallinfo2), per arena and per size class. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "shim_internal.h"

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

/* ---- decay per arena ---- */

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

/* ---- the bins' tables: read for the decay ticks and the size classes ---- */

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

/* The bins' tables, read once under the lock. */
static int ensure_bins(void) {
  int rc = SL_OK;
  pthread_mutex_lock(&lock);
  if (!bins_read) rc = read_bin_tables();
  pthread_mutex_unlock(&lock);
  return rc;
}

/*
 * Operations that advance jemalloc 5.0.x's decay of arena i (its ticker counts them per thread and runs decay on
 * every 1 000th): a thread-cache fill (one per fill, arena.c arena_tcache_fill_small), each small object freed to
 * the arena (flushed from a thread cache or freed without one, arena.c arena_dalloc_small and tcache.c), each
 * large extent allocated or freed (large.c). Their counters: the bins' nfills, small.ndalloc, large.nmalloc and
 * large.ndalloc. Not counted: small allocations that bypass the thread cache and in-place reallocs, rare with a
 * thread cache on. Cumulative, summed over threads.
 */
static int arena_decay_ticks(unsigned i, double *out) {
  char name[96];
  double v = 0, sum = 0;
  for (unsigned j = 0; j < bin_n; j++) {
    snprintf(name, sizeof name, "stats.arenas.%u.bins.%u.nfills", i, j);
    if (ctl_u64(name, &v)) goto fail;
    sum += v;
  }
  static const char *more[3] = {"small.ndalloc", "large.nmalloc", "large.ndalloc"};
  for (int k = 0; k < 3; k++) {
    snprintf(name, sizeof name, "stats.arenas.%u.%s", i, more[k]);
    if (ctl_u64(name, &v)) goto fail;
    sum += v;
  }
  *out = sum;
  return SL_OK;
fail:
  set_error("mallctl(\"%s\") failed%s", name, " (a build without --enable-stats?)");
  return SL_ERR_MALLCTL;
}

#define SL_ARENA_FIELDS 10
/*
 * Per initialised arena, SL_ARENA_FIELDS doubles: index, pdirty bytes, pmuzzy bytes, dirty_npurge,
 * dirty_nmadvise, dirty_purged (pages), muzzy_npurge, muzzy_nmadvise, muzzy_purged (pages), decay ticks
 * (arena_decay_ticks). The names are the same in jemalloc 5.0.x and 5.3.0. Call after sl_stats (which refreshes
 * the epoch). threads: per registered thread (tid, arena), at most max_threads; *nthreads gets the count.
 * Returns the number of arenas written.
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
  if (rc || (rc = ensure_bins())) return rc;
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
    if ((rc = arena_decay_ticks(i, &o[9]))) return rc;
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
  int rc = ensure_bins();
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
