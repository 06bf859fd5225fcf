/*
 * Everything of scenario `server.service_lib` (skynet's lualib in every agent VM): skynet's per-service C
 * structures, the library's sources and bytecode cache, its require, the prelude that starts the service, and
 * the dispatch path every call takes once the library is loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "agent_vm.h"

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
int agent_service_new(vm_t *v, int i) {
  v->service[i] = v->re(NULL, SERVICE_BLOCKS[i]);
  if (!v->service[i]) return -1;
  memset(v->service[i], 0, SERVICE_BLOCKS[i]);
  __atomic_add_fetch(&service_live, SERVICE_BLOCKS[i], __ATOMIC_RELAXED);
  return 0;
}

/* Frees block i (if held) back to the VM's allocator. */
void agent_service_free(vm_t *v, int i) {
  if (!v->service[i]) return;
  v->fr(v->service[i]);
  v->service[i] = NULL;
  __atomic_sub_fetch(&service_live, SERVICE_BLOCKS[i], __ATOMIC_RELAXED);
}

size_t agent_service_live(void) { return __atomic_load_n(&service_live, __ATOMIC_RELAXED); }


/*
 * ---- a service library in every VM (scenario `server.service_lib`: skynet's lualib), as snlua loads it ----
 *
 * Before the agent script, each VM does what a skynet agent service does before its first message: the libraries
 * snlua opens that the sandbox lacks (io, os, debug, package; held in the registry, out of the script's reach),
 * skynet's C modules as inert Lua stand-ins (skynet.core, skynet.profile, skynet.codecache: nothing leaves the
 * VM), `require "skynet"` (skynet.lua and what it requires, read from the user's tree), skynet.start with a
 * `lua` dispatch (a CMD table over the script's login/message/logout, as simload_agent.lua), and the timer's
 * answer to start's timeout(0), which runs the start function. From then on every call goes through skynet.lua's
 * own dispatch path (agent_vm_dispatch): dispatch_message, raw_dispatch_message, a coroutine of its pool, the "lua"
 * dispatch function, CMD, the script. The library runs in its own environment (the sandbox's globals plus
 * require, package.loaded and debug.traceback), under the same instruction budget and memory limit as the
 * script. Its files are compiled into the code heap on Debian's Lua; on skynet's Lua a VM over the variant's
 * allocator loads them through skynet's code cache (agent_codecache.c), as snlua's loader does.
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
  pthread_mutex_lock(&agent_lock);
  for (src_entry *e = lib_sources; e; e = e->next)
    if (strcmp(e->path, path) == 0) {
      pthread_mutex_unlock(&agent_lock);
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
  pthread_mutex_unlock(&agent_lock);
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
  pthread_mutex_lock(&agent_lock);
  const char *bc = e->bc;
  size_t bclen = e->bclen;
  pthread_mutex_unlock(&agent_lock);
  v->compiling = 1;
  int rc = bc ? luaL_loadbufferx(L, bc, bclen, chunkname, "b") : luaL_loadbufferx(L, e->text, e->len, chunkname, "t");
  v->compiling = 0;
  if (rc != LUA_OK || bc) return rc;
  dump_buf d = {NULL, 0, 0};
  if (lua_dump(L, dump_writer, &d, 0) == 0 && d.buf) {
    pthread_mutex_lock(&agent_lock);
    if (!e->bc) {
      e->bc = d.buf;
      e->bclen = d.len;
      d.buf = NULL;
    }
    pthread_mutex_unlock(&agent_lock);
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
  if (v->cached) {
    /* skynet's luaL_loadfilex: the prototypes of the process's code cache, a closure in this VM */
    int rc = agent_cc_loadfile(L, path);
    if (rc == LUA_ERRFILE) {
      lua_pop(L, 1);
      snprintf(path, sizeof path, "%s/%s/init.lua", v->lib_dir, rel);
      rc = agent_cc_loadfile(L, path);
      if (rc == LUA_ERRFILE) return luaL_error(L, "module '%s' not found in the service library %s (no %s.lua or %s/init.lua there)", name, v->lib_dir, rel, rel);
    }
    if (rc != LUA_OK) return lua_error(L);
  } else {
    src_entry *src = lib_source(path);
    if (!src) {
      snprintf(path, sizeof path, "%s/%s/init.lua", v->lib_dir, rel);
      src = lib_source(path);
    }
    if (!src) return luaL_error(L, "module '%s' not found in the service library %s (no %s.lua or %s/init.lua there)", name, v->lib_dir, rel, rel);
    lua_pushfstring(L, "@%s", path);
    if (lib_load(L, v, src, lua_tostring(L, -1)) != LUA_OK) return lua_error(L);
  }
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
    "return dispatch, pending, skynet.PTYPE_LUA, skynet.PTYPE_RESPONSE, timeout\n";

int agent_open_service_lib(lua_State *L) {
  vm_t *v;
  lua_getallocf(L, (void **)&v);
  /* the rest of snlua's luaL_openlibs: kept in package.loaded (a fresh registry table the script cannot reach) */
  static const luaL_Reg more[] = {{LUA_LOADLIBNAME, luaopen_package}, {LUA_IOLIBNAME, luaopen_io}, {LUA_OSLIBNAME, luaopen_os}, {LUA_DBLIBNAME, luaopen_debug}, {NULL, NULL}};
  for (const luaL_Reg *l = more; l->func; l++) {
    luaL_requiref(L, l->name, l->func, 0);
    lua_pop(L, 1);
  }
  /* snlua's init_cb: generational once luaL_openlibs is done, before the loader runs (agent.c, vm_create) */
  lua_gc(L, LUA_GCGEN, 0, 0);
  /* the library's environment: sandbox globals, plus require, package.loaded, debug.traceback */
  lua_newtable(L); /* env */
  int env = lua_gettop(L);
  lua_newtable(L); /* its metatable */
  lua_pushglobaltable(L);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, env);
  lua_pushvalue(L, env);
  lua_setfield(L, env, "_G");
  /* the library's pcall, xpcall and coroutine are the unguarded ones (agent_sandbox.c): after a stop, skynet.lua
   * must still finish its bookkeeping (within DISPATCH_GRACE) for the VM to serve the next message */
  lua_getfield(L, LUA_REGISTRYINDEX, "simload.raw");
  for (const char **f = (const char *[]){"pcall", "xpcall", "coroutine", NULL}; *f; f++) {
    lua_getfield(L, -1, *f);
    lua_setfield(L, env, *f);
  }
  lua_pop(L, 1);
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
  int rc = v->cached ? agent_cc_loadbuffer(L, LIB_PRELUDE, sizeof LIB_PRELUDE - 1, "=(simload service prelude)")
                     : luaL_loadbufferx(L, LIB_PRELUDE, sizeof LIB_PRELUDE - 1, "=(simload service prelude)", "t");
  v->compiling = 0;
  if (rc != LUA_OK) return lua_error(L);
  lua_pushvalue(L, env);
  lua_setupvalue(L, -2, 1);
  lua_pushglobaltable(L);
  lua_call(L, 1, 5);
  if (!lua_isfunction(L, -5) || !lua_istable(L, -4) || !lua_isinteger(L, -3) || !lua_isinteger(L, -2) || !lua_isinteger(L, -1))
    return luaL_error(L, "the service library's skynet.start gave no dispatch function");
  v->start_session = lua_tointeger(L, -1);
  v->ptype_response = lua_tointeger(L, -2);
  v->ptype_lua = lua_tointeger(L, -3);
  lua_pop(L, 3);
  v->pending_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  v->dispatch_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/*
 * The timer's answer to skynet.start's timeout(0): the service's first message, which runs the start function
 * (its dispatch registration) on a coroutine of skynet.lua's pool. As in snlua it comes after the service's main
 * chunk, once the collector runs again. 0 or an error in agent_last_error.
 */
int agent_service_start(vm_t *v) {
  lua_State *L = v->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, v->dispatch_ref);
  lua_pushinteger(L, v->ptype_response);
  lua_pushnil(L);
  lua_pushinteger(L, 0);
  lua_pushinteger(L, v->start_session);
  lua_pushinteger(L, 0);
  return agent_run_call(v, 5, "starting the service");
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
int agent_vm_dispatch(vm_t *v, const char *name, int nargs, double a, double b) {
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
   * and returns has returned, as without the library); one that escaped skynet.lua is reported by agent_run_call. */
  int rc = agent_run_call(v, 5, NULL);
  v->in_dispatch = 0;
  v->stopped = 0;
  if (rc != 0) return rc;
  lua_rawgeti(L, LUA_REGISTRYINDEX, v->pending_ref);
  lua_getfield(L, -1, "failed");
  int failed = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (failed) {
    lua_getfield(L, -1, "err");
    agent_call_error(v, 0, lua_tostring(L, -1), agent_what(v));
    lua_pop(L, 1);
    /* drop the error value so the VM does not hold it until the next failure */
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "err");
  }
  lua_pop(L, 1);
  return failed ? SLA_ERR_SCRIPT : 0;
}
