/*
 * Forced into skynet's 3rd/lua/lauxlib.c only (src/native/agent-build.ts): its luaL_alloc, the allocator of the
 * code cache's states, calls realloc/free, which in skynet are malloc_hook.c's (jemalloc). Here they become the
 * variant's allocator (native/agent_codecache.c).
 */
#include <stdlib.h>
void *agent_cc_realloc(void *p, size_t n);
void agent_cc_free(void *p);
#define realloc agent_cc_realloc
#define free agent_cc_free
