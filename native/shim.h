/*
 * The allocator shim's interface (native/shim.c, shim_objects.c, shim_stats.c): its return codes and the
 * functions it exports. The agent library (native/agent.c) shares the codes; src/alloc/shim.ts and
 * src/server/lua-vm.ts mirror them, checked against this header by test/alloc/shim-header.test.ts.
 */
#ifndef SIMLOAD_SHIM_H
#define SIMLOAD_SHIM_H

#include <stdint.h>

#define SL_OK 0
#define SL_ERR_BAD_HANDLE -1
#define SL_ERR_NOMEM -2
#define SL_ERR_RANGE -3
#define SL_ERR_NOT_LOADED -4
#define SL_ERR_MALLCTL -5
#define SL_ERR_OTHER_LIB -6
#define SL_ERR_LOAD -7
#define SL_ERR_ARG -8
/* The agent library's own: a script failed (error, instruction budget, memory limit). */
#define SL_ERR_SCRIPT -9

/* Loading (shim.c) */
int sl_init(const char *lib, const char *prefix, int need_mallctl);
/* The target's realloc (which 0) and free (1), for the agent library's Lua VMs; NULL before sl_init. */
void *sl_target_fn(int which);
typedef void *(*sl_target_fn_t)(int which);
const char *sl_conf_messages(void);
const char *sl_last_error(void);

/* Single objects and object sets (shim_objects.c) */
double sl_malloc(double size);
int sl_free(double h);
double sl_realloc(double h, double size);
double sl_alloc_set(const uint32_t *sizes, uint32_t n);
int sl_free_set(double h);
double sl_resize_in_set(double h, uint32_t index, uint32_t new_size);
double sl_set_bytes(double h);
int sl_churn(const uint32_t *sizes, uint32_t n);

/* Allocator statistics (shim_stats.c) */
int sl_stats(double *out);
int sl_opts(double *out, char *version, int version_len);
int sl_purge(void);
int sl_decay(void);
int sl_live(double *out);
int sl_thread_register(void);
int sl_arena_stats(double *out, int max_arenas, double *threads, int max_threads, int *nthreads);
int sl_size_classes(double *out, int max_bins, double *large);

#endif
