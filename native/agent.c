/*
 * simload agent services: Lua 5.4 VMs whose every object lives in the variant's heap, as skynet's snlua does
 * (lua_newstate with an allocator over je_realloc/je_free, service_snlua.c + malloc_hook.c).
 *
 * The allocator is the one native/shim.c resolved for this process (sl_target_fn), so a VM allocates through
 * jemalloc, glibc or a user's library on whichever worker thread runs its service. VM handles come from
 * native/handles.c, the shim's table code too (doubles, gen * 2^32 + index, valid in every thread); the
 * scheduler guarantees one thread per VM at a time, the table itself is guarded by agent_lock.
 *
 * Scripts run sandboxed: base (without load, loadfile, dofile, print; collectgarbage("count") only),
 * string (without dump), table, math, utf8, coroutine, and os.time/os.clock. Every call has an instruction
 * budget (count hook) and every VM a memory limit (the allocator refuses growth past it).
 *
 * This file: the exported API and a VM's life (create, call, close). The rest, one concern a file, shares
 * agent_vm.h: agent_alloc.c (the allocator), agent_sandbox.c (the sandbox), agent_service_lib.c (scenario
 * `server.service_lib`), agent_packets.c (game packets); handles.c is the handle table, shared with the shim.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "agent_vm.h"
#include "handles.h"

#define HOOK_EVERY 1000

realloc_fn agent_target_realloc = NULL;
free_fn agent_target_free = NULL;
pthread_mutex_t agent_lock = PTHREAD_MUTEX_INITIALIZER;

__thread char agent_last_error[2048];

/* The VMs' handles (one kind). 1024 slots at first, where the shim's table of objects and sets starts at 4096:
   kept as they were, so the process's libc bookkeeping is what it was before the table code was shared. */
#define KIND_VM 1
static handle_table_t vms = HANDLE_TABLE_INIT(&agent_lock, 1024);

/* ---- set-up ---- */

/*
 * Takes the target allocator from the shim already loaded in this process (sl_init done). shim_path: the
 * shim's .so, opened with RTLD_NOLOAD so this never loads a second copy. Idempotent.
 */
EXPORT int sla_init(const char *shim_path) {
  if (agent_target_realloc) return 0;
  void *h = dlopen(shim_path, RTLD_NOW | RTLD_NOLOAD);
  if (!h) {
    snprintf(agent_last_error, sizeof agent_last_error, "the allocator shim %s is not loaded in this process: %s", shim_path, dlerror());
    return SLA_ERR_NOT_LOADED;
  }
  sl_target_fn_t target = (sl_target_fn_t)dlsym(h, "sl_target_fn"); /* by name: the shim is its own .so */
  realloc_fn r = target ? (realloc_fn)target(0) : NULL;
  free_fn f = target ? (free_fn)target(1) : NULL;
  dlclose(h); /* the shim stays loaded: koffi holds it */
  if (!r || !f) {
    snprintf(agent_last_error, sizeof agent_last_error, "the allocator shim has no target allocator yet (sl_target_fn %s)", target ? "returned NULL" : "missing");
    return SLA_ERR_NOT_LOADED;
  }
  pthread_mutex_lock(&agent_lock);
  agent_target_realloc = r;
  agent_target_free = f;
  pthread_mutex_unlock(&agent_lock);
  return 0;
}

EXPORT const char *sla_last_error(void) { return agent_last_error; }

/* Instructions skynet.lua's own code may run past the budget in a dispatched call: once the script is stopped,
 * its error returns through the handler's pcall, suspend and dispatch_message, which must finish their
 * bookkeeping (session tables, the coroutine pool, the fork queue) for the VM to serve the next message. */
#define DISPATCH_GRACE 100000

static void hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  vm_t *v;
  lua_getallocf(L, (void **)&v);
  v->budget -= HOOK_EVERY;
  if (v->budget > 0) return;
  lua_Debug d;
  int at = lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d);
  if (v->in_dispatch && v->budget > -DISPATCH_GRACE && !(at && d.source[0] == '@' && strcmp(d.source + 1, v->chunk) == 0))
    return; /* skynet.lua's code, not the script's: stopped only past the grace */
  if (at && d.currentline > 0)
    lua_pushfstring(L, "%s:%d: %s ran more than %I instructions (stopped)", d.short_src, d.currentline, agent_what(v), (lua_Integer)v->max_instructions);
  else
    lua_pushfstring(L, "%s: %s ran more than %I instructions (stopped)", v->chunk, agent_what(v), (lua_Integer)v->max_instructions);
  if (v->in_dispatch && !v->stopped) {
    /* L is the dispatch coroutine here: the message names the script's line, as without the library */
    snprintf(v->stop_msg, sizeof v->stop_msg, "%s", lua_tostring(L, -1));
    v->stopped = 1;
  }
  lua_error(L);
}

/* A failed call's error into agent_last_error: a memory error (raised or refused by the allocator) names the limit. */
void agent_call_error(vm_t *v, int errmem, const char *msg, const char *what) {
  if (errmem || v->mem_refused) {
    snprintf(agent_last_error, sizeof agent_last_error, "%s: %s ran out of memory: the VM's limit is %zu bytes (%s)", v->chunk, what, v->max_bytes, msg ? msg : "not enough memory");
  } else {
    snprintf(agent_last_error, sizeof agent_last_error, "%s", msg ? msg : "error object is not a string");
  }
}

/* The running call's name for messages: `what` as given, or for a script call (what NULL) "message(n)" and the
 * like, formatted only when a message needs it (formatting it for every call cost a printf per message). */
const char *agent_what(vm_t *v) {
  if (v->what) return v->what;
  static const char *names[] = {"a call", "login", "message", "logout"};
  snprintf(v->what_buf, sizeof v->what_buf, "%s(%.0f)", names[v->call_fn >= 1 && v->call_fn <= 3 ? v->call_fn : 0], v->call_a);
  v->what = v->what_buf;
  return v->what;
}

/* Runs the function on top of the stack with nargs args under the budget; 0 or an error in agent_last_error.
 * what: the call's name for messages, or NULL for a script call (v->call_fn, v->call_a; see agent_what). */
int agent_run_call(vm_t *v, int nargs, const char *what) {
  lua_State *L = v->L;
  v->budget = v->max_instructions;
  v->mem_refused = 0;
  v->what = what;
  int rc = lua_pcall(L, nargs, 0, 0);
  if (rc == LUA_OK) return 0;
  if (v->in_dispatch && v->stopped) snprintf(agent_last_error, sizeof agent_last_error, "%s", v->stop_msg);
  else agent_call_error(v, rc == LUA_ERRMEM, lua_tostring(L, -1), agent_what(v));
  lua_pop(L, 1);
  return SLA_ERR_SCRIPT;
}

static void vm_destroy(vm_t *v);

static vm_t *vm_create(realloc_fn re, free_fn fr, const char *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes,
                       double seed, const char *lib_dir) {
  vm_t *v = calloc(1, sizeof *v);
  if (!v) {
    snprintf(agent_last_error, sizeof agent_last_error, "out of memory");
    return NULL;
  }
  v->re = re;
  v->fr = fr;
  v->max_bytes = max_bytes > 0 ? (size_t)max_bytes : 0;
  v->max_instructions = max_instructions > 0 ? (long long)max_instructions : (long long)1e12;
  v->dispatch_ref = v->pending_ref = LUA_NOREF;
  snprintf(v->chunk, sizeof v->chunk, "%s", chunk);
  int with_lib = lib_dir && *lib_dir;
  if (with_lib && agent_service_new(v, 0) != 0) {
    snprintf(agent_last_error, sizeof agent_last_error, "%s: the service's structures: out of memory", chunk);
    free(v);
    return NULL;
  }
#if LUA_VERSION_NUM >= 505
  /* Lua 5.5 (skynet's 3rd/lua) takes the string-hash seed here; snlua passes one per process (global_seed) */
  v->L = lua_newstate(agent_lalloc, v, (unsigned)seed);
#else
  v->L = lua_newstate(agent_lalloc, v);
#endif
  if (!v->L) {
    snprintf(agent_last_error, sizeof agent_last_error, "%s: lua_newstate failed (out of memory)", chunk);
    agent_service_free(v, 0);
    free(v);
    return NULL;
  }
  lua_State *L = v->L;
  for (int i = 1; with_lib && i < 4; i++) {
    if (agent_service_new(v, i) != 0) {
      snprintf(agent_last_error, sizeof agent_last_error, "%s: the service's structures: out of memory", chunk);
      goto fail;
    }
  }
  /* skynet's snlua runs its VMs in generational mode (service_snlua.c: lua_gc(L, LUA_GCGEN, 0, 0)) */
  lua_gc(L, LUA_GCGEN, 0, 0);
  lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
  lua_pushcfunction(L, agent_open_sandbox);
  lua_pushnumber(L, seed);
  if (agent_run_call(v, 1, "setting up the sandbox") != 0) goto fail;
  if (with_lib) {
    v->lib_dir = lib_dir;
    v->ch = ch_new();
    if (!v->ch) {
      snprintf(agent_last_error, sizeof agent_last_error, "out of memory");
      goto fail;
    }
    lua_pushcfunction(L, agent_open_service_lib);
    int rc = agent_run_call(v, 0, "loading the service library");
    v->lib_dir = NULL;
    if (rc != 0) {
      char msg[sizeof agent_last_error];
      snprintf(msg, sizeof msg, "%s", agent_last_error);
      snprintf(agent_last_error, sizeof agent_last_error, "the service library %s failed to load: %s", lib_dir, msg);
      goto fail;
    }
  }
  char name[520];
  snprintf(name, sizeof name, "@%s", chunk);
  int rc = luaL_loadbufferx(L, src, len, name, "t");
  if (rc != LUA_OK) {
    snprintf(agent_last_error, sizeof agent_last_error, "%s", lua_tostring(L, -1));
    goto fail;
  }
  if (agent_run_call(v, 0, "the script's main chunk") != 0) goto fail;
  static const char *need[] = {"login", "message", NULL};
  for (const char **n = need; *n; n++) {
    if (lua_getglobal(L, *n) != LUA_TFUNCTION) {
      snprintf(agent_last_error, sizeof agent_last_error, "%s: the script defines no %s function (a script defines login(player_id) and message(n), optionally logout(player_id))",
               chunk, *n);
      lua_pop(L, 1);
      goto fail;
    }
    lua_pop(L, 1);
  }
  return v;
fail:
  vm_destroy(v);
  return NULL;
}

static void vm_destroy(vm_t *v) {
  lua_close(v->L);
  if (v->ch) ch_release(v->ch);
  for (int i = 0; i < 4; i++) agent_service_free(v, i);
  free(v);
}

/* Calls fn (1 login(a), 2 message(a, b), 3 logout(a)); 0 when done, 1 when logout is not defined. */
static int vm_call(vm_t *v, int fn, double a, double b) {
  lua_State *L = v->L;
  const char *name = fn == 1 ? "login" : fn == 2 ? "message" : "logout";
  if (lua_getglobal(L, name) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    if (fn == 3) return 1;
    snprintf(agent_last_error, sizeof agent_last_error, "%s: %s is no longer a function", v->chunk, name);
    return SLA_ERR_SCRIPT;
  }
  v->call_fn = fn;
  v->call_a = a;
  if (v->dispatch_ref != LUA_NOREF) {
    lua_pop(L, 1);
    return agent_vm_dispatch(v, name, fn == 2 ? 2 : 1, a, b);
  }
  lua_pushinteger(L, (lua_Integer)a);
  if (fn == 2) lua_pushinteger(L, (lua_Integer)b);
  return agent_run_call(v, fn == 2 ? 2 : 1, NULL);
}

/* ---- the API used by the workers ---- */

/* What the VM holds on the simulated heap: its bytes minus the code heap's. */
static double heap_bytes(vm_t *v) { return (double)(v->bytes - v->code_bytes); }

/* A VM over the target allocator with the script loaded and run; its handle, or < 0 (sla_last_error). */
EXPORT double sla_vm_new(const char *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes, double seed, const char *lib_dir) {
  if (!agent_target_realloc) {
    snprintf(agent_last_error, sizeof agent_last_error, "sla_init has not run in this process");
    return SLA_ERR_NOT_LOADED;
  }
  vm_t *v = vm_create(agent_target_realloc, agent_target_free, src, len, chunk, max_instructions, max_bytes, seed, lib_dir);
  if (!v) return SLA_ERR_SCRIPT;
  double h = handles_insert(&vms, v, KIND_VM);
  if (h >= 0) return h;
  vm_destroy(v);
  /* Said here, or the caller would read an older call's error. */
  snprintf(agent_last_error, sizeof agent_last_error, "%s: no room for another VM handle (the handle table could not grow)", chunk);
  return SLA_ERR_NOMEM;
}

/* fn: 1 login(a), 2 message(a, b), 3 logout(a). Returns the VM's bytes after the call, or < 0 (sla_last_error). */
EXPORT double sla_call(double h, int fn, double a, double b) {
  vm_t *v = handles_get(&vms, h, KIND_VM);
  if (!v) {
    snprintf(agent_last_error, sizeof agent_last_error, "no live Lua VM with handle %.0f", h);
    return SLA_ERR_BAD_HANDLE;
  }
  int rc = vm_call(v, fn, a, b);
  return rc < 0 ? rc : heap_bytes(v);
}

EXPORT double sla_vm_bytes(double h) {
  vm_t *v = handles_get(&vms, h, KIND_VM);
  return v ? heap_bytes(v) : SLA_ERR_BAD_HANDLE;
}

/* Bytes the code heap holds now (all VMs of this process): the service library's prototypes. */
EXPORT double sla_code_heap_bytes(void) { return (double)ch_live_bytes(); }

/* The Lua this library was compiled with ("Lua 5.4.4", "Lua 5.5.0"), so a run can say which VMs it measured. */
EXPORT const char *sla_lua_release(void) { return LUA_RELEASE; }

/* Bytes of skynet's per-service C structures (SERVICE_BLOCKS) that live VMs hold in the variant's heap now. */
EXPORT double sla_service_bytes(void) { return (double)agent_service_live(); }

/* lua_close: everything the VM allocated goes back to the target allocator at once (a skynet agent's exit). */
EXPORT int sla_vm_close(double h) {
  void *v;
  if (handles_take(&vms, h, KIND_VM, &v) != 0) return SLA_ERR_BAD_HANDLE;
  vm_destroy(v);
  return 0;
}

EXPORT double sla_live(void) {
  uint64_t live[HANDLE_KINDS];
  handles_live(&vms, live);
  return (double)live[KIND_VM];
}

/* ---- the check before a run (no target allocator needed: libc's) ---- */

static void *libc_realloc(void *p, size_t n) { return realloc(p, n); }
static void libc_free(void *p) { free(p); }

/*
 * Loads the script in a fresh VM over libc's allocator and runs login(1), message(1, 1), message(2, 1) and
 * logout(1) when defined, then closes it. lib_dir: the service library loaded before the script ("" = none).
 * out[0]: VM bytes after login, out[1]: after logout (or -1 when the script has no logout), out[2]: bytes of an
 * empty VM (sandbox + service library), out[3]: the empty VM's code-heap bytes (the library's prototypes, not in
 * out[2]), out[4]: bytes of the bare sandbox VM. Bytes are the simulated heap's (code heap excluded). 0 when all
 * ran, else < 0 with the script's or the library's file:line in sla_last_error.
 */
EXPORT int sla_check(const char *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes, const char *lib_dir, double *out) {
  static const char empty[] = "function login() end function message() end";
  vm_t *b = vm_create(libc_realloc, libc_free, empty, sizeof empty - 1, "(empty)", 0, 0, 1, NULL);
  if (!b) return SLA_ERR_SCRIPT;
  /* sizes after a full collection, as skynet's own figures are taken (collectgarbage("count") after a collect) */
  lua_gc(b->L, LUA_GCCOLLECT, 0);
  out[4] = heap_bytes(b);
  vm_destroy(b);
  vm_t *e = vm_create(libc_realloc, libc_free, empty, sizeof empty - 1, "(empty)", max_instructions, max_bytes, 1, lib_dir);
  if (!e) return SLA_ERR_SCRIPT;
  lua_gc(e->L, LUA_GCCOLLECT, 0);
  out[2] = heap_bytes(e);
  out[3] = (double)e->code_bytes;
  vm_destroy(e);
  vm_t *v = vm_create(libc_realloc, libc_free, src, len, chunk, max_instructions, max_bytes, 1, lib_dir);
  if (!v) return SLA_ERR_SCRIPT;
  int rc = vm_call(v, 1, 1, 0);
  if (rc == 0) out[0] = heap_bytes(v);
  if (rc == 0) rc = vm_call(v, 2, 1, 1);
  if (rc == 0) rc = vm_call(v, 2, 2, 1);
  if (rc == 0) {
    rc = vm_call(v, 3, 1, 0);
    out[1] = rc == 1 ? -1 : heap_bytes(v);
    if (rc == 1) rc = 0;
  }
  vm_destroy(v);
  return rc;
}
