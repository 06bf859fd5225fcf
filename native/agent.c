/*
 * simload agent services: Lua 5.4 VMs whose every object lives in the variant's heap, as skynet's snlua does
 * (lua_newstate with an allocator over je_realloc/je_free, service_snlua.c + malloc_hook.c).
 *
 * The allocator is the one native/shim.c resolved for this process (sl_target_fn), so a VM allocates through
 * jemalloc, glibc or a user's library on whichever worker thread runs its service. VM handles are doubles
 * (gen * 2^32 + index, like the shim's) valid in every thread; the scheduler guarantees one thread per VM at a
 * time, the table itself is guarded by a mutex.
 *
 * Scripts run sandboxed: base (without load, loadfile, dofile, print; collectgarbage("count") only),
 * string (without dump), table, math, utf8, coroutine, and os.time/os.clock. Every call has an instruction
 * budget (count hook) and every VM a memory limit (the allocator refuses growth past it).
 *
 * Game packets: sla_packet_new copies a frame into a block from the target allocator on the thread that
 * receives it (the gate); the worker that handles it frees it (sla_packet_free), as skynet's socket thread
 * and workers do.
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

#include "code_heap.h"

#define EXPORT __attribute__((visibility("default")))

#define SLA_ERR_BAD_HANDLE -1
#define SLA_ERR_NOMEM -2
#define SLA_ERR_NOT_LOADED -4
#define SLA_ERR_LOAD -7
#define SLA_ERR_ARG -8
#define SLA_ERR_SCRIPT -9

#define TWO32 4294967296.0
#define GEN_MAX ((1u << 20) - 1)
#define HOOK_EVERY 1000
#define PACKET_MAGIC 0x534c504bu /* "SLPK" */
#define PACKET_DEAD 0xdeadbeefu

typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);

static realloc_fn t_realloc = NULL;
static free_fn t_free = NULL;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static __thread char last_error[2048];

typedef struct vm {
  lua_State *L;
  realloc_fn re;
  free_fn fr;
  size_t bytes;
  size_t max_bytes;
  long long budget;      /* instructions left in the current call */
  long long max_instructions;
  int mem_refused;       /* the allocator refused growth during the current call */
  const char *what;      /* the call running, for messages */
  char chunk[512];       /* the script's name as errors show it */
  int compiling;         /* loading a service-library file: new blocks go to the code heap */
  size_t code_bytes;     /* of `bytes`, what lies in the code heap (the service library's function prototypes) */
  const char *lib_dir;   /* the service library's folder (skynet's lualib), or NULL */
  code_heap_t *ch;       /* this VM's part of the code heap (native/code_heap.c), or NULL */
  /* With a service library, calls go through skynet.lua's dispatch (vm_dispatch); LUA_NOREF without one. */
  int dispatch_ref;      /* the function skynet.start gave skynet.core.callback: skynet.dispatch_message */
  int pending_ref;       /* the table skynet.core.unpack answers from: the call C delivers next */
  lua_Integer ptype_lua; /* skynet.PTYPE_LUA */
  lua_Integer session;   /* the last session a login (a skynet.call) carried */
  int in_dispatch;       /* a dispatched call is running: skynet.lua's own code may run DISPATCH_GRACE past the budget */
  int stopped;           /* the budget stopped the script during this dispatched call; stop_msg says where */
  char stop_msg[640];
  void *service[4];      /* with a service library: skynet's C structures of this service (SERVICE_BLOCKS) */
} vm_t;

/*
 * What skynet's C side allocates per service besides its Lua VM, allocated per VM with a service library from the
 * variant's allocator and freed at close (outside the VM's bytes and memory limit, as skynet's `mem` does not count
 * them either). skynet f19d1605 on x86-64; each sizeof measured by compiling the struct definitions below with the
 * peer build's own headers (skynet-src/, 3rd/lua; CALLING_CHECK off as in its Makefile), plus the 16-byte
 * struct mem_cookie that skynet_malloc puts before every block (skynet-src/malloc_hook.c: size_t size, uint32_t
 * handle, uint32_t cookie_size; MEMORY_CHECK off). In skynet's order:
 *   struct snlua                   56 + 16  service-src/service_snlua.c, snlua_create (before lua_newstate)
 *   struct skynet_context         128 + 16  skynet-src/skynet_server.c, skynet_context_new
 *   struct message_queue           56 + 16  skynet-src/skynet_mq.c, skynet_mq_create
 *   64 x struct skynet_message   1536 + 16  skynet_mq_create: DEFAULT_QUEUE_SIZE 64 of 24 bytes (skynet_mq.h)
 * Not modelled: the queue doubling when a service falls 64 messages behind (expand_queue), the handle table's
 * slot (8 bytes, amortized), snlua_init's copy of the launch arguments (freed at once).
 */
#define SKYNET_COOKIE 16
static const size_t SERVICE_BLOCKS[4] = {56 + SKYNET_COOKIE, 128 + SKYNET_COOKIE, 56 + SKYNET_COOKIE, 64 * 24 + SKYNET_COOKIE};
static size_t service_live = 0; /* bytes of these blocks held by live VMs (all of this process) */

/* The blocks, written as skynet initializes them (its fields, the ring buffer over time); 0 or -1. */
static int service_new(vm_t *v, int i) {
  v->service[i] = v->re(NULL, SERVICE_BLOCKS[i]);
  if (!v->service[i]) return -1;
  memset(v->service[i], 0, SERVICE_BLOCKS[i]);
  __atomic_add_fetch(&service_live, SERVICE_BLOCKS[i], __ATOMIC_RELAXED);
  return 0;
}

/* ---- the allocator: skynet's lalloc (per-VM accounting + limit) over skynet_lalloc ---- */

static void *lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
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

/* ---- handle table (bookkeeping from libc, not the simulated heap) ---- */

typedef struct {
  vm_t *v;
  uint32_t gen;
  uint32_t next_free;
} slot_t;

static slot_t *slots = NULL;
static uint32_t nslots = 0, cap = 0, free_head = UINT32_MAX;
static uint64_t live_vms = 0;

static double table_insert(vm_t *v) {
  uint32_t idx;
  pthread_mutex_lock(&lock);
  if (free_head != UINT32_MAX) {
    idx = free_head;
    free_head = slots[idx].next_free;
  } else {
    if (nslots == cap) {
      uint32_t ncap = cap ? cap * 2 : 1024;
      slot_t *ns = realloc(slots, (size_t)ncap * sizeof(slot_t));
      if (!ns) {
        pthread_mutex_unlock(&lock);
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
  pthread_mutex_unlock(&lock);
  return h;
}

/* The VM of a live handle, or NULL. `take` removes it from the table (the one place a handle dies). */
static vm_t *table_get(double h, int take) {
  if (!(h >= 0) || h >= TWO32 * (double)(GEN_MAX + 1)) return NULL;
  uint64_t u = (uint64_t)h;
  if ((double)u != h) return NULL;
  uint32_t idx = (uint32_t)(u & 0xffffffffu), gen = (uint32_t)(u >> 32);
  pthread_mutex_lock(&lock);
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
  pthread_mutex_unlock(&lock);
  return v;
}

/* ---- set-up ---- */

/*
 * Takes the target allocator from the shim already loaded in this process (sl_init done). shim_path: the
 * shim's .so, opened with RTLD_NOLOAD so this never loads a second copy. Idempotent.
 */
EXPORT int sla_init(const char *shim_path) {
  if (t_realloc) return 0;
  void *h = dlopen(shim_path, RTLD_NOW | RTLD_NOLOAD);
  if (!h) {
    snprintf(last_error, sizeof last_error, "the allocator shim %s is not loaded in this process: %s", shim_path, dlerror());
    return SLA_ERR_NOT_LOADED;
  }
  void *(*target)(int) = (void *(*)(int))dlsym(h, "sl_target_fn");
  realloc_fn r = target ? (realloc_fn)target(0) : NULL;
  free_fn f = target ? (free_fn)target(1) : NULL;
  dlclose(h); /* the shim stays loaded: koffi holds it */
  if (!r || !f) {
    snprintf(last_error, sizeof last_error, "the allocator shim has no target allocator yet (sl_target_fn %s)", target ? "returned NULL" : "missing");
    return SLA_ERR_NOT_LOADED;
  }
  pthread_mutex_lock(&lock);
  t_realloc = r;
  t_free = f;
  pthread_mutex_unlock(&lock);
  return 0;
}

EXPORT const char *sla_last_error(void) { return last_error; }

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
    lua_pushfstring(L, "%s:%d: %s ran more than %I instructions (stopped)", d.short_src, d.currentline, v->what, (lua_Integer)v->max_instructions);
  else
    lua_pushfstring(L, "%s: %s ran more than %I instructions (stopped)", v->chunk, v->what, (lua_Integer)v->max_instructions);
  if (v->in_dispatch && !v->stopped) {
    /* L is the dispatch coroutine here: the message names the script's line, as without the library */
    snprintf(v->stop_msg, sizeof v->stop_msg, "%s", lua_tostring(L, -1));
    v->stopped = 1;
  }
  lua_error(L);
}

/* collectgarbage limited to "count": a script must not force collections (the collector is Lua's own). */
static int limited_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  if (strcmp(opt, "count") != 0) return luaL_error(L, "collectgarbage(\"%s\") is not allowed in an agent script (only \"count\")", opt);
  int k = lua_gc(L, LUA_GCCOUNT, 0), b = lua_gc(L, LUA_GCCOUNTB, 0);
  lua_pushnumber(L, (lua_Number)k + ((lua_Number)b / 1024));
  return 1;
}

static void drop(lua_State *L, const char *table, const char *field) {
  if (table) {
    lua_getglobal(L, table);
    lua_pushnil(L);
    lua_setfield(L, -2, field);
    lua_pop(L, 1);
  } else {
    lua_pushnil(L);
    lua_setglobal(L, field);
  }
}

static int open_sandbox(lua_State *L) {
  double seed = lua_tonumber(L, 1);
  static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base}, {LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
                                  {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
  for (const luaL_Reg *l = libs; l->func; l++) {
    luaL_requiref(L, l->name, l->func, 1);
    lua_pop(L, 1);
  }
  static const char *gone[] = {"dofile", "loadfile", "load", "print", "require", NULL};
  for (const char **g = gone; *g; g++) drop(L, NULL, *g);
  drop(L, "string", "dump");
  lua_pushcfunction(L, limited_collectgarbage);
  lua_setglobal(L, "collectgarbage");
  /* os: only time and clock, taken from a private copy of the os library */
  luaopen_os(L);
  lua_newtable(L);
  lua_getfield(L, -2, "time");
  lua_setfield(L, -2, "time");
  lua_getfield(L, -2, "clock");
  lua_setfield(L, -2, "clock");
  lua_setglobal(L, "os");
  lua_pop(L, 1);
  /* package.loaded keeps references to the full libraries; nothing else may reach them */
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  /* deterministic per VM, so two variants fed the same logins build the same state */
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  lua_pushinteger(L, (lua_Integer)seed);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  return 0;
}


/*
 * ---- a service library in every VM (scenario `server.service_lib`: skynet's lualib), as snlua loads it ----
 *
 * Before the agent script, each VM does what a skynet agent service does before its first message: the libraries
 * snlua opens that the sandbox lacks (io, os, debug, package; held in the registry, out of the script's reach),
 * skynet's C modules as inert Lua stand-ins (skynet.core, skynet.profile, skynet.codecache: nothing leaves the
 * VM), `require "skynet"` (skynet.lua and what it requires, read from the user's tree), skynet.start with a
 * `lua` dispatch (a CMD table over the script's login/message/logout, as simload_agent.lua), and the timer's
 * answer to start's timeout(0), which runs the start function. From then on every call goes through skynet.lua's
 * own dispatch path (vm_dispatch): dispatch_message, raw_dispatch_message, a coroutine of its pool, the "lua"
 * dispatch function, CMD, the script. The library runs in its own environment (the sandbox's globals plus
 * require, package.loaded and debug.traceback), under the same instruction budget and memory limit as the
 * script. Its files are compiled into the code heap.
 */

/*
 * Library files, read once per process (libc memory, like the script's source): path -> text, and the chunk
 * compiled from it as bytecode (lua_dump of the first VM's load, with debug info), which later VMs load instead
 * of parsing the text again: the same prototypes, built in a fraction of the time (skynet clones its cached ones).
 */
typedef struct src_entry {
  char *path;
  char *text;
  size_t len;
  char *bc; /* NULL until a VM compiled it */
  size_t bclen;
  struct src_entry *next;
} src_entry;
static src_entry *lib_sources = NULL;

static src_entry *lib_source(const char *path) {
  pthread_mutex_lock(&lock);
  for (src_entry *e = lib_sources; e; e = e->next)
    if (strcmp(e->path, path) == 0) {
      pthread_mutex_unlock(&lock);
      return e;
    }
  src_entry *out = NULL;
  FILE *f = fopen(path, "rb");
  if (f) {
    src_entry *e = calloc(1, sizeof *e);
    size_t cap = 65536, n = 0, r;
    char *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
      n += r;
      if (n == cap) {
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
          free(buf);
          buf = NULL;
        } else {
          buf = nb;
        }
      }
    }
    fclose(f);
    if (e && buf && (e->path = strdup(path))) {
      e->text = buf;
      e->len = n;
      e->next = lib_sources;
      lib_sources = e;
      out = e;
    } else {
      free(buf);
      free(e);
    }
  }
  pthread_mutex_unlock(&lock);
  return out;
}

typedef struct {
  char *buf;
  size_t len, cap;
} dump_buf;

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud) {
  (void)L;
  dump_buf *d = ud;
  if (d->len + sz > d->cap) {
    size_t ncap = (d->len + sz) * 2;
    char *nb = realloc(d->buf, ncap);
    if (!nb) return 1;
    d->buf = nb;
    d->cap = ncap;
  }
  memcpy(d->buf + d->len, p, sz);
  d->len += sz;
  return 0;
}

/* Loads a library file's chunk onto the stack (from its cached bytecode when there is one); a Lua status. */
static int lib_load(lua_State *L, vm_t *v, src_entry *e, const char *chunkname) {
  pthread_mutex_lock(&lock);
  const char *bc = e->bc;
  size_t bclen = e->bclen;
  pthread_mutex_unlock(&lock);
  v->compiling = 1;
  int rc = bc ? luaL_loadbufferx(L, bc, bclen, chunkname, "b") : luaL_loadbufferx(L, e->text, e->len, chunkname, "t");
  v->compiling = 0;
  if (rc != LUA_OK || bc) return rc;
  dump_buf d = {NULL, 0, 0};
  if (lua_dump(L, dump_writer, &d, 0) == 0 && d.buf) {
    pthread_mutex_lock(&lock);
    if (!e->bc) {
      e->bc = d.buf;
      e->bclen = d.len;
      d.buf = NULL;
    }
    pthread_mutex_unlock(&lock);
  }
  free(d.buf);
  return LUA_OK;
}

/* require(name) of the service library: package.loaded, else LIB/name.lua or LIB/name/init.lua ('.' = '/'). */
static int lib_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, 2, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  vm_t *v;
  lua_getallocf(L, (void **)&v);
  char rel[256];
  size_t i = 0;
  for (const char *c = name; *c; c++) {
    if (i + 1 >= sizeof rel || !(*c == '_' || *c == '.' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
      return luaL_error(L, "module '%s': not a module name a service library may load", name);
    rel[i++] = *c == '.' ? '/' : *c;
  }
  rel[i] = 0;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.lua", v->lib_dir, rel);
  src_entry *src = lib_source(path);
  if (!src) {
    snprintf(path, sizeof path, "%s/%s/init.lua", v->lib_dir, rel);
    src = lib_source(path);
  }
  if (!src) return luaL_error(L, "module '%s' not found in the service library %s (no %s.lua or %s/init.lua there)", name, v->lib_dir, rel, rel);
  lua_pushfstring(L, "@%s", path);
  if (lib_load(L, v, src, lua_tostring(L, -1)) != LUA_OK) return lua_error(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setupvalue(L, -2, 1); /* _ENV: the library's environment */
  lua_pushstring(L, name);
  lua_pushstring(L, path);
  lua_call(L, 2, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, 2, name);
  return 1;
}

/*
 * Runs in the library's environment with the script's global table as its argument. Like simload_agent.lua (the
 * skynet side's agent), it registers a "lua" dispatch function with a CMD table whose login/message/logout call
 * the script's globals; each is pcall'd and a failure is left in `pending` for C (the skynet agent sends it to
 * the driver), so an error reaches C as the script raised it. Returns skynet.dispatch_message (what skynet.start
 * gave skynet.core.callback), the pending table (skynet.core.unpack's answer: cmd and its args, set by C before
 * each call) and skynet.PTYPE_LUA. Nothing is allocated per call on this path once skynet.lua's coroutine pool
 * holds a coroutine.
 */
static const char LIB_PRELUDE[] =
    "local G = ...\n"
    "local loaded = package.loaded\n"
    "local n, timeout, dispatch = 0, nil, nil\n"
    "local pending = { n = 0, failed = false, err = false, false, false, false }\n"
    "local tunpack = table.unpack\n"
    "local function id() n = n + 1 return n end\n"
    "local function nop() end\n"
    "loaded['skynet.core'] = {\n"
    "  genid = id, send = id, redirect = nop, trash = nop, error = nop, trace = nop,\n"
    "  unpack = function() return tunpack(pending, 1, pending.n) end,\n"
    "  harbor = function() return 0, false end, addresscommand = function() return 0 end,\n"
    "  intcommand = function(cmd) local s = id() if cmd == 'TIMEOUT' then timeout = s end return s end,\n"
    "  command = function() return '' end, tostring = function() return '' end, pack = function() return '', 0 end,\n"
    "  packstring = function() return '' end, callback = function(f) dispatch = f end,\n"
    "  now = function() return 0 end, hpc = function() return 0 end,\n"
    "}\n"
    "loaded['skynet.profile'] = { start = nop, stop = nop, resume = coroutine.resume, wrap = coroutine.wrap }\n"
    "loaded['skynet.codecache'] = { clear = nop, mode = function() return 'ON' end }\n"
    "local skynet = require 'skynet'\n"
    "local function call(name, ...)\n"
    "  local ok, err = pcall(G[name], ...)\n"
    "  if not ok then pending.failed, pending.err = true, err end\n"
    "  return ok, err\n"
    "end\n"
    "local CMD = {}\n"
    "function CMD.login(...)\n"
    "  local ok, err = call('login', ...)\n"
    "  if not ok then return false, err end\n"
    "  return true\n"
    "end\n"
    "function CMD.message(...) call('message', ...) end\n"
    "function CMD.logout(...) call('logout', ...) end\n"
    "skynet.start(function()\n"
    "  skynet.dispatch('lua', function(session, _, cmd, ...)\n"
    "    local f = CMD[cmd]\n"
    "    if session ~= 0 then\n"
    "      skynet.retpack(f(...))\n"
    "    else\n"
    "      f(...)\n"
    "    end\n"
    "  end)\n"
    "end)\n"
    "assert(dispatch and timeout, 'skynet.start registered no callback or timeout')\n"
    "dispatch(skynet.PTYPE_RESPONSE, nil, 0, timeout, 0)\n"
    "return dispatch, pending, skynet.PTYPE_LUA\n";

static int open_service_lib(lua_State *L) {
  vm_t *v;
  lua_getallocf(L, (void **)&v);
  /* the rest of snlua's luaL_openlibs: kept in package.loaded (a fresh registry table the script cannot reach) */
  static const luaL_Reg more[] = {{LUA_LOADLIBNAME, luaopen_package}, {LUA_IOLIBNAME, luaopen_io}, {LUA_OSLIBNAME, luaopen_os}, {LUA_DBLIBNAME, luaopen_debug}, {NULL, NULL}};
  for (const luaL_Reg *l = more; l->func; l++) {
    luaL_requiref(L, l->name, l->func, 0);
    lua_pop(L, 1);
  }
  /* the library's environment: sandbox globals, plus require, package.loaded, debug.traceback */
  lua_newtable(L); /* env */
  int env = lua_gettop(L);
  lua_newtable(L); /* its metatable */
  lua_pushglobaltable(L);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, env);
  lua_pushvalue(L, env);
  lua_setfield(L, env, "_G");
  lua_pushvalue(L, env);
  lua_pushcclosure(L, lib_require, 1);
  lua_setfield(L, env, "require");
  lua_newtable(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_setfield(L, -2, "loaded");
  lua_setfield(L, env, "package");
  lua_newtable(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, LUA_DBLIBNAME);
  lua_getfield(L, -1, "traceback");
  lua_setfield(L, -4, "traceback");
  lua_pop(L, 2);
  lua_setfield(L, env, "debug");
  /* snlua's io, os, debug and package tables stay in the VM (their memory is part of a service's), but out of
   * package.loaded: the library sees the sandbox's os and the traceback above, so a scenario's service_lib can
   * neither run commands nor open files (a `require "os"` finds no such module in the library's folder). */
  lua_newtable(L); /* held */
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  for (const luaL_Reg *l = more; l->func; l++) {
    lua_getfield(L, -1, l->name);
    lua_setfield(L, -3, l->name);
    lua_pushnil(L);
    lua_setfield(L, -2, l->name);
  }
  lua_pop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "simload.held_libs");
  lua_pushvalue(L, env);
  lua_setfield(L, LUA_REGISTRYINDEX, "simload.service_env"); /* keeps the library alive */
  v->compiling = 1;
  int rc = luaL_loadbufferx(L, LIB_PRELUDE, sizeof LIB_PRELUDE - 1, "=(simload service prelude)", "t");
  v->compiling = 0;
  if (rc != LUA_OK) return lua_error(L);
  lua_pushvalue(L, env);
  lua_setupvalue(L, -2, 1);
  lua_pushglobaltable(L);
  lua_call(L, 1, 3);
  if (!lua_isfunction(L, -3) || !lua_istable(L, -2) || !lua_isinteger(L, -1)) return luaL_error(L, "the service library's skynet.start gave no dispatch function");
  v->ptype_lua = lua_tointeger(L, -1);
  lua_pop(L, 1);
  v->pending_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  v->dispatch_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* A failed call's error into last_error: a memory error (raised or refused by the allocator) names the limit. */
static void call_error(vm_t *v, int errmem, const char *msg, const char *what) {
  if (errmem || v->mem_refused) {
    snprintf(last_error, sizeof last_error, "%s: %s ran out of memory: the VM's limit is %zu bytes (%s)", v->chunk, what, v->max_bytes, msg ? msg : "not enough memory");
  } else {
    snprintf(last_error, sizeof last_error, "%s", msg ? msg : "error object is not a string");
  }
}

/* Runs the function on top of the stack with nargs args under the budget; 0 or an error in last_error. */
static int run_call(vm_t *v, int nargs, const char *what) {
  lua_State *L = v->L;
  v->budget = v->max_instructions;
  v->mem_refused = 0;
  v->what = what;
  int rc = lua_pcall(L, nargs, 0, 0);
  if (rc == LUA_OK) return 0;
  if (v->in_dispatch && v->stopped) snprintf(last_error, sizeof last_error, "%s", v->stop_msg);
  else call_error(v, rc == LUA_ERRMEM, lua_tostring(L, -1), what);
  lua_pop(L, 1);
  return SLA_ERR_SCRIPT;
}

static void vm_destroy(vm_t *v);

static vm_t *vm_create(realloc_fn re, free_fn fr, const char *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes,
                       double seed, const char *lib_dir) {
  vm_t *v = calloc(1, sizeof *v);
  if (!v) {
    snprintf(last_error, sizeof last_error, "out of memory");
    return NULL;
  }
  v->re = re;
  v->fr = fr;
  v->max_bytes = max_bytes > 0 ? (size_t)max_bytes : 0;
  v->max_instructions = max_instructions > 0 ? (long long)max_instructions : (long long)1e12;
  v->dispatch_ref = v->pending_ref = LUA_NOREF;
  snprintf(v->chunk, sizeof v->chunk, "%s", chunk);
  int with_lib = lib_dir && *lib_dir;
  if (with_lib && service_new(v, 0) != 0) {
    snprintf(last_error, sizeof last_error, "%s: the service's structures: out of memory", chunk);
    free(v);
    return NULL;
  }
#if LUA_VERSION_NUM >= 505
  /* Lua 5.5 (skynet's 3rd/lua) takes the string-hash seed here; snlua passes one per process (global_seed) */
  v->L = lua_newstate(lalloc, v, (unsigned)seed);
#else
  v->L = lua_newstate(lalloc, v);
#endif
  if (!v->L) {
    snprintf(last_error, sizeof last_error, "%s: lua_newstate failed (out of memory)", chunk);
    if (v->service[0]) {
      fr(v->service[0]);
      __atomic_sub_fetch(&service_live, SERVICE_BLOCKS[0], __ATOMIC_RELAXED);
    }
    free(v);
    return NULL;
  }
  lua_State *L = v->L;
  for (int i = 1; with_lib && i < 4; i++) {
    if (service_new(v, i) != 0) {
      snprintf(last_error, sizeof last_error, "%s: the service's structures: out of memory", chunk);
      goto fail;
    }
  }
  /* skynet's snlua runs its VMs in generational mode (service_snlua.c: lua_gc(L, LUA_GCGEN, 0, 0)) */
  lua_gc(L, LUA_GCGEN, 0, 0);
  lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
  lua_pushcfunction(L, open_sandbox);
  lua_pushnumber(L, seed);
  if (run_call(v, 1, "setting up the sandbox") != 0) goto fail;
  if (lib_dir && *lib_dir) {
    v->lib_dir = lib_dir;
    v->ch = ch_new();
    if (!v->ch) {
      snprintf(last_error, sizeof last_error, "out of memory");
      goto fail;
    }
    lua_pushcfunction(L, open_service_lib);
    int rc = run_call(v, 0, "loading the service library");
    v->lib_dir = NULL;
    if (rc != 0) {
      char msg[sizeof last_error];
      snprintf(msg, sizeof msg, "%s", last_error);
      snprintf(last_error, sizeof last_error, "the service library %s failed to load: %s", lib_dir, msg);
      goto fail;
    }
  }
  char name[520];
  snprintf(name, sizeof name, "@%s", chunk);
  int rc = luaL_loadbufferx(L, src, len, name, "t");
  if (rc != LUA_OK) {
    snprintf(last_error, sizeof last_error, "%s", lua_tostring(L, -1));
    goto fail;
  }
  if (run_call(v, 0, "the script's main chunk") != 0) goto fail;
  static const char *need[] = {"login", "message", NULL};
  for (const char **n = need; *n; n++) {
    if (lua_getglobal(L, *n) != LUA_TFUNCTION) {
      snprintf(last_error, sizeof last_error, "%s: the script defines no %s function (a script defines login(player_id) and message(n), optionally logout(player_id))",
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
  for (int i = 0; i < 4; i++) {
    if (!v->service[i]) continue;
    v->fr(v->service[i]);
    __atomic_sub_fetch(&service_live, SERVICE_BLOCKS[i], __ATOMIC_RELAXED);
  }
  free(v);
}

/* The address a dispatched call comes from (the gate; skynet.ret answers a login there). */
#define GATE_ADDRESS 1

/*
 * A call the way a skynet service gets a message: skynet.dispatch_message(PTYPE_LUA, msg, sz, session, source),
 * then raw_dispatch_message, a coroutine from skynet.lua's pool, the prelude's "lua" dispatch function, CMD[cmd],
 * the script's handler. skynet.core.unpack answers with what is set in `pending` here. login is a call (a session,
 * answered with skynet.retpack), message and logout are sends (session 0). The handler's error comes back
 * through `pending` (the prelude pcalls it) exactly as the script raised it.
 */
static int vm_dispatch(vm_t *v, const char *name, int nargs, double a, double b, const char *what) {
  lua_State *L = v->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, v->pending_ref);
  lua_pushstring(L, name); /* interned already (CMD's keys): no allocation */
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, (lua_Integer)a);
  lua_rawseti(L, -2, 2);
  if (nargs == 2) lua_pushinteger(L, (lua_Integer)b);
  else lua_pushboolean(L, 0);
  lua_rawseti(L, -2, 3);
  lua_pushinteger(L, 1 + nargs);
  lua_setfield(L, -2, "n");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "failed");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "err");
  lua_pop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, v->dispatch_ref);
  lua_pushinteger(L, v->ptype_lua);
  lua_pushnil(L); /* msg: no packed buffer, unpack reads `pending` */
  lua_pushinteger(L, 0);
  lua_pushinteger(L, strcmp(name, "login") == 0 ? ++v->session : 0);
  lua_pushinteger(L, GATE_ADDRESS);
  v->in_dispatch = 1;
  v->stopped = 0;
  /* A stop the handler's pcall caught comes back in `pending` like any error (a script that catches it itself
   * and returns has returned, as without the library); one that escaped skynet.lua is reported by run_call. */
  int rc = run_call(v, 5, what);
  v->in_dispatch = 0;
  v->stopped = 0;
  if (rc != 0) return rc;
  lua_rawgeti(L, LUA_REGISTRYINDEX, v->pending_ref);
  lua_getfield(L, -1, "failed");
  int failed = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (failed) {
    lua_getfield(L, -1, "err");
    call_error(v, 0, lua_tostring(L, -1), what);
    lua_pop(L, 1);
    /* drop the error value so the VM does not hold it until the next failure */
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "err");
  }
  lua_pop(L, 1);
  return failed ? SLA_ERR_SCRIPT : 0;
}

/* Calls fn (1 login(a), 2 message(a, b), 3 logout(a)); 0 when done, 1 when logout is not defined. */
static int vm_call(vm_t *v, int fn, double a, double b) {
  lua_State *L = v->L;
  const char *name = fn == 1 ? "login" : fn == 2 ? "message" : "logout";
  if (lua_getglobal(L, name) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    if (fn == 3) return 1;
    snprintf(last_error, sizeof last_error, "%s: %s is no longer a function", v->chunk, name);
    return SLA_ERR_SCRIPT;
  }
  char what[64];
  if (fn == 2) snprintf(what, sizeof what, "message(%.0f)", a);
  else snprintf(what, sizeof what, "%s(%.0f)", name, a);
  if (v->dispatch_ref != LUA_NOREF) {
    lua_pop(L, 1);
    return vm_dispatch(v, name, fn == 2 ? 2 : 1, a, b, what);
  }
  lua_pushinteger(L, (lua_Integer)a);
  if (fn == 2) lua_pushinteger(L, (lua_Integer)b);
  return run_call(v, fn == 2 ? 2 : 1, what);
}

/* ---- the API used by the workers ---- */

/* What the VM holds on the simulated heap: its bytes minus the code heap's. */
static double heap_bytes(vm_t *v) { return (double)(v->bytes - v->code_bytes); }

/* A VM over the target allocator with the script loaded and run; its handle, or < 0 (sla_last_error). */
EXPORT double sla_vm_new(const char *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes, double seed, const char *lib_dir) {
  if (!t_realloc) {
    snprintf(last_error, sizeof last_error, "sla_init has not run in this process");
    return SLA_ERR_NOT_LOADED;
  }
  vm_t *v = vm_create(t_realloc, t_free, src, len, chunk, max_instructions, max_bytes, seed, lib_dir);
  if (!v) return SLA_ERR_SCRIPT;
  double h = table_insert(v);
  if (h < 0) vm_destroy(v);
  return h;
}

/* fn: 1 login(a), 2 message(a, b), 3 logout(a). Returns the VM's bytes after the call, or < 0 (sla_last_error). */
EXPORT double sla_call(double h, int fn, double a, double b) {
  vm_t *v = table_get(h, 0);
  if (!v) {
    snprintf(last_error, sizeof last_error, "no live Lua VM with handle %.0f", h);
    return SLA_ERR_BAD_HANDLE;
  }
  int rc = vm_call(v, fn, a, b);
  return rc < 0 ? rc : heap_bytes(v);
}

EXPORT double sla_vm_bytes(double h) {
  vm_t *v = table_get(h, 0);
  return v ? heap_bytes(v) : SLA_ERR_BAD_HANDLE;
}

/* Bytes the code heap holds now (all VMs of this process): the service library's prototypes. */
EXPORT double sla_code_heap_bytes(void) { return (double)ch_live_bytes(); }

/* The Lua this library was compiled with ("Lua 5.4.4", "Lua 5.5.0"), so a run can say which VMs it measured. */
EXPORT const char *sla_lua_release(void) { return LUA_RELEASE; }

/* Bytes of skynet's per-service C structures (SERVICE_BLOCKS) that live VMs hold in the variant's heap now. */
EXPORT double sla_service_bytes(void) { return (double)__atomic_load_n(&service_live, __ATOMIC_RELAXED); }

/* lua_close: everything the VM allocated goes back to the target allocator at once (a skynet agent's exit). */
EXPORT int sla_vm_close(double h) {
  vm_t *v = table_get(h, 1);
  if (!v) return SLA_ERR_BAD_HANDLE;
  vm_destroy(v);
  return 0;
}

EXPORT double sla_live(void) {
  pthread_mutex_lock(&lock);
  double n = (double)live_vms;
  pthread_mutex_unlock(&lock);
  return n;
}

/* ---- packets ---- */

typedef struct {
  uint32_t magic;
  uint32_t len;
} packet_t;

/* Packets made and not yet freed, and made in all: lets tests see that every packet was freed. */
static uint64_t packets_live = 0, packets_made = 0;

/* A copy of the frame in a block from the target allocator; its address as a double (exact below 2^53). */
EXPORT double sla_packet_new(const uint8_t *data, uint32_t len) {
  if (!t_realloc) return SLA_ERR_NOT_LOADED;
  packet_t *p = t_realloc(NULL, sizeof(packet_t) + len);
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
  if (!t_free) return SLA_ERR_NOT_LOADED;
  if (!(addr > 0) || addr >= 9007199254740992.0) return SLA_ERR_ARG;
  packet_t *p = (packet_t *)(uintptr_t)addr;
  if (p->magic != PACKET_MAGIC) return SLA_ERR_BAD_HANDLE;
  p->magic = PACKET_DEAD;
  t_free(p);
  __atomic_sub_fetch(&packets_live, 1, __ATOMIC_RELAXED);
  return 0;
}

/* out[0]: packets not yet freed, out[1]: packets made. */
EXPORT int sla_packets(double *out) {
  out[0] = (double)__atomic_load_n(&packets_live, __ATOMIC_RELAXED);
  out[1] = (double)__atomic_load_n(&packets_made, __ATOMIC_RELAXED);
  return 0;
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
