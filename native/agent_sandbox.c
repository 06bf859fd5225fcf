/*
 * The agent script's sandbox: base (without load, loadfile, dofile, print, require; collectgarbage("count")
 * only; setmetatable without __gc), string (without dump; patterns under the budget: agent_match.c), table, math,
 * utf8, coroutine, and os.time/os.clock; math.randomseed(seed).
 */
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "agent_vm.h"

/* collectgarbage limited to "count": a script must not force collections (the collector is Lua's own). */
static int limited_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  if (strcmp(opt, "count") != 0) return luaL_error(L, "collectgarbage(\"%s\") is not allowed in an agent script (only \"count\")", opt);
  int k = lua_gc(L, LUA_GCCOUNT, 0), b = lua_gc(L, LUA_GCCOUNTB, 0);
  lua_pushnumber(L, (lua_Number)k + ((lua_Number)b / 1024));
  return 1;
}

/*
 * setmetatable without finalizers: Lua runs a __gc metamethod with the debug hooks off (lgc.c, GCTM), during a
 * collection step inside any call or at lua_close, so no instruction budget reaches it, and one that never
 * returns wedges the worker thread for good. A metatable that has a __gc field when it is set is refused; a __gc
 * added to it later never runs (Lua marks an object for finalization only at setmetatable).
 */
static int no_gc_setmetatable(lua_State *L) {
  if (lua_istable(L, 2)) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "setmetatable: a __gc metamethod is not allowed in an agent script (finalizers run outside the instruction limit)");
  }
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

/*
 * A stopped call stays stopped: once the instruction budget is spent (the count hook raised the stop), what the
 * script could catch it with (pcall, xpcall, coroutine.resume) raises it again when it returns, so a loop around
 * a pcall cannot run on forever. lua_callk keeps them yieldable, as the originals are.
 */
static int guard_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  vm_t *v;
  lua_getallocf(L, (void **)&v);
  if (v->budget <= 0) {
    luaL_where(L, 1); /* the script's line that called the catcher */
    lua_pushfstring(L, "%s ran more than %I instructions (stopped; the script caught the stop and ran on)", agent_what(v),
                    (lua_Integer)v->max_instructions);
    lua_concat(L, 2);
    return lua_error(L);
  }
  return lua_gettop(L);
}

static int guard(lua_State *L) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, n, LUA_MULTRET, 0, guard_k);
  return guard_k(L, LUA_OK, 0);
}

/* Replaces t[name] (t at idx) with guard(t[name]). */
static void guard_field(lua_State *L, int idx, const char *name) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, name);
  lua_pushcclosure(L, guard, 1);
  lua_setfield(L, idx, name);
}

/*
 * Guards the script's catchers. The originals stay in the registry (`simload.raw`: pcall, xpcall and an unguarded
 * coroutine table) for a service library, whose own bookkeeping must run after a stop (native/agent_service_lib.c).
 */
static void guard_catchers(lua_State *L) {
  lua_newtable(L); /* raw: the originals */
  int raw = lua_gettop(L);
  lua_pushglobaltable(L);
  int g = lua_gettop(L);
  for (const char **f = (const char *[]){"pcall", "xpcall", "coroutine", NULL}; *f; f++) {
    lua_getfield(L, g, *f);
    lua_setfield(L, raw, *f);
  }
  guard_field(L, g, "pcall");
  guard_field(L, g, "xpcall");
  /* coroutine: the global becomes a copy whose resume is guarded; raw.coroutine is the library itself */
  lua_newtable(L);
  int copy = lua_gettop(L);
  lua_getfield(L, raw, "coroutine");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, copy);
  }
  lua_pop(L, 1);
  guard_field(L, copy, "resume");
  lua_setfield(L, g, "coroutine");
  lua_pop(L, 1); /* the globals */
  lua_setfield(L, LUA_REGISTRYINDEX, "simload.raw");
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

int agent_open_sandbox(lua_State *L) {
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
  lua_getglobal(L, "string");
  agent_bound_patterns(L, -1);
  lua_pop(L, 1);
  lua_getglobal(L, "setmetatable");
  lua_pushcclosure(L, no_gc_setmetatable, 1);
  lua_setglobal(L, "setmetatable");
  lua_pushcfunction(L, limited_collectgarbage);
  lua_setglobal(L, "collectgarbage");
  guard_catchers(L);
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
