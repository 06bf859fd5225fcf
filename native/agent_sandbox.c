/*
 * The agent script's sandbox: base (without load, loadfile, dofile, print, require; collectgarbage("count")
 * only), string (without dump), table, math, utf8, coroutine, and os.time/os.clock; math.randomseed(seed).
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
