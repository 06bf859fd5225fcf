/*
 * simload allocator shim: the C half of src/alloc/allocator.ts.
 *
 * Resolves malloc/free/realloc/mallctl of ONE target library per process (dlopen + dlsym with a prefix, or
 * the process's own symbols for glibc and LD_PRELOADed libraries), keeps a handle table so JavaScript never
 * sees a raw pointer (a double free or a foreign handle is an error code, not a crash), and batches whole
 * object sets so one FFI call covers many allocations. Every thread of the process (Node worker_threads)
 * loads the same .so, so the table and the target are shared; a mutex guards the table.
 *
 * Split by concern: loading here, objects and sets in shim_objects.c, statistics in shim_stats.c; shim.h is
 * the interface, shim_internal.h what the three share. The handle table is native/handles.c (the agent library's too): handles are doubles holding gen * 2^32 + index,
 * and a freed slot bumps its generation, so a stale handle never matches a reused slot.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim_internal.h"

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
bool loaded = false;
malloc_fn t_malloc;
free_fn t_free;
realloc_fn t_realloc;
mallctl_fn t_mallctl;
mallinfo2_fn t_mallinfo2;
malloc_trim_fn t_malloc_trim;
/* 4096 slots at first. */
handle_table_t table = HANDLE_TABLE_INIT(&lock, 4096);

static char loaded_key[4096];
static char conf_messages[8192];
static __thread char last_error[1024];

void set_error(const char *fmt, const char *a, const char *b) {
  snprintf(last_error, sizeof last_error, fmt, a ? a : "", b ? b : "");
}

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
