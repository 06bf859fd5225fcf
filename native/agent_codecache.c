/*
 * Shared prototypes, as skynet: with a skynet tree's own Lua (scenario `lua: skynet`, built with
 * -DSLA_SKYNET_CODECACHE), every file a VM over the variant's allocator loads goes through skynet's code cache
 * (3rd/lua/lauxlib.c: luaL_initcodecache, luaL_loadfilex keyed by file name, lua_sharefunction,
 * lua_clonefunction), so prototypes exist once per process and each VM holds closures over them.
 *
 * The cache's states allocate through lauxlib's luaL_alloc, that is `realloc`/`free`: in skynet those are
 * malloc_hook.c's, jemalloc with a 16-byte struct mem_cookie before every block. lauxlib.c is compiled here with
 * agent_codecache_alloc.h forced in, which renames its realloc/free to agent_cc_realloc/agent_cc_free below: the
 * variant's allocator (the one sla_init took from the shim) with the same 16-byte prefix, on whichever worker
 * thread loads a file first.
 *
 * Sources simload holds as text (the agent script, the service prelude) take the same path in this file: one
 * state per chunk, compiled once, its prototype shared and never closed (skynet's cache never closes a state
 * either), keyed by chunk name and text, so a changed source under the same name is compiled again.
 *
 * Debian's Lua has no shareable prototypes: that build keeps the per-VM code heap (native/code_heap.c) and
 * agent_cc_enabled() is 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "agent_vm.h"

/* skynet's struct mem_cookie (malloc_hook.c: size_t size, uint32_t handle, uint32_t cookie_size). */
#define CC_COOKIE 16
static int64_t cc_live = 0; /* bytes the cache's states hold in the variant's heap, cookies included (atomic) */

static void cc_count(int64_t d) { __atomic_add_fetch(&cc_live, d, __ATOMIC_RELAXED); }

/* lauxlib.c's realloc (through agent_codecache_alloc.h): the variant's allocator, skynet's cookie before the block.
 * Only VMs over the variant's allocator load through the cache, so the target is set whenever this runs. */
void *agent_cc_realloc(void *p, size_t n) {
  realloc_fn re = agent_target_realloc;
  if (!re) return NULL;
  char *raw = p ? (char *)p - CC_COOKIE : NULL;
  size_t old = raw ? *(size_t *)raw : 0;
  char *np = re(raw, n + CC_COOKIE);
  if (!np) return NULL;
  *(size_t *)np = n;
  cc_count((int64_t)n - (int64_t)old + (raw ? 0 : CC_COOKIE));
  return np + CC_COOKIE;
}

void agent_cc_free(void *p) {
  if (!p) return;
  char *raw = (char *)p - CC_COOKIE;
  cc_count(-(int64_t)(*(size_t *)raw + CC_COOKIE));
  agent_target_free(raw);
}

size_t agent_cc_bytes(void) { return (size_t)__atomic_load_n(&cc_live, __ATOMIC_RELAXED); }

#ifdef SLA_SKYNET_CODECACHE
#include "lstate.h"

int agent_cc_enabled(void) { return 1; }

void agent_cc_init(void) { luaL_initcodecache(); }

/* A file through skynet's own cache (its mode is ON in a VM that never set it). */
int agent_cc_loadfile(lua_State *L, const char *path) { return luaL_loadfilex(L, path, "t"); }

typedef struct text_entry {
  char *name;
  char *text;
  size_t len;
  const void *proto;
  struct text_entry *next;
} text_entry;
static text_entry *texts = NULL; /* guarded by agent_lock */

static const void *text_find(const char *name, const char *src, size_t len) {
  for (text_entry *e = texts; e; e = e->next)
    if (e->len == len && strcmp(e->name, name) == 0 && memcmp(e->text, src, len) == 0) return e->proto;
  return NULL;
}

/* A chunk held as text, through the cache's mechanics: compiled once per name and text, then cloned. */
int agent_cc_loadbuffer(lua_State *L, const char *src, size_t len, const char *chunkname) {
  pthread_mutex_lock(&agent_lock);
  const void *proto = text_find(chunkname, src, len);
  pthread_mutex_unlock(&agent_lock);
  if (proto) {
    lua_clonefunction(L, proto);
    return LUA_OK;
  }
  /* as lauxlib's newState: luaL_alloc (the variant's heap here), the VM's string seed */
  lua_State *eL = lua_newstate(luaL_alloc, NULL, G(L)->seed);
  if (!eL) {
    lua_pushliteral(L, "New state failed");
    return LUA_ERRMEM;
  }
  int rc = luaL_loadbufferx(eL, src, len, chunkname, "t");
  if (rc != LUA_OK) {
    size_t sz = 0;
    const char *msg = lua_tolstring(eL, -1, &sz);
    lua_pushlstring(L, msg, sz);
    lua_close(eL);
    return rc;
  }
  lua_sharefunction(eL, -1);
  proto = lua_topointer(eL, -1);
  text_entry *e = calloc(1, sizeof *e);
  char *name = strdup(chunkname), *text = malloc(len ? len : 1);
  pthread_mutex_lock(&agent_lock);
  const void *old = text_find(chunkname, src, len);
  if (!old && e && name && text) {
    memcpy(text, src, len);
    *e = (text_entry){name, text, len, proto, texts};
    texts = e;
    e = NULL;
    name = text = NULL;
  }
  pthread_mutex_unlock(&agent_lock);
  free(e);
  free(name);
  free(text);
  if (old) { /* another thread compiled it meanwhile */
    lua_close(eL);
    proto = old;
  } /* else eL stays open: it holds the shared prototype */
  lua_clonefunction(L, proto);
  return LUA_OK;
}

#else

int agent_cc_enabled(void) { return 0; }
void agent_cc_init(void) {}
int agent_cc_loadfile(lua_State *L, const char *path) { return luaL_loadfilex(L, path, "t"); }
int agent_cc_loadbuffer(lua_State *L, const char *src, size_t len, const char *chunkname) { return luaL_loadbufferx(L, src, len, chunkname, "t"); }

#endif
