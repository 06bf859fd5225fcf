/*
 * What the agent library's files share (native/agent.c and its agent_*.c): the VM (vm_t), the target allocator,
 * the lock and the error buffer, and each file's functions the others call. Everything here is hidden
 * (-fvisibility=hidden); only EXPORT'ed functions leave the library.
 */
#ifndef SIMLOAD_AGENT_VM_H
#define SIMLOAD_AGENT_VM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lua.h"

#include "code_heap.h"
#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

/* The shim's return codes (native/shim.h), under the agent library's names. */
#define SLA_ERR_BAD_HANDLE SL_ERR_BAD_HANDLE
#define SLA_ERR_NOMEM SL_ERR_NOMEM
#define SLA_ERR_NOT_LOADED SL_ERR_NOT_LOADED
#define SLA_ERR_LOAD SL_ERR_LOAD
#define SLA_ERR_ARG SL_ERR_ARG
#define SLA_ERR_SCRIPT SL_ERR_SCRIPT

typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);

typedef struct vm {
  lua_State *L;
  realloc_fn re;
  free_fn fr;
  size_t bytes;
  size_t max_bytes;
  long long budget;      /* instructions left in the current call */
  long long max_instructions;
  int mem_refused;       /* the allocator refused growth during the current call */
  const char *what;      /* the call running, for messages; NULL: a script call, named by agent_what on demand */
  int call_fn;           /* that script call: 1 login, 2 message, 3 logout */
  double call_a;         /* and its first argument */
  char what_buf[64];     /* agent_what's text for it */
  char chunk[512];       /* the script's name as errors show it */
  int compiling;         /* loading a service-library file: new blocks go to the code heap */
  size_t code_bytes;     /* of `bytes`, what lies in the code heap (the service library's function prototypes) */
  const char *lib_dir;   /* the service library's folder (skynet's lualib), or NULL */
  code_heap_t *ch;       /* this VM's part of the code heap (native/code_heap.c), or NULL */
  /* With a service library, calls go through skynet.lua's dispatch (agent_vm_dispatch); LUA_NOREF without one. */
  int dispatch_ref;      /* the function skynet.start gave skynet.core.callback: skynet.dispatch_message */
  int pending_ref;       /* the table skynet.core.unpack answers from: the call C delivers next */
  lua_Integer ptype_lua; /* skynet.PTYPE_LUA */
  lua_Integer session;   /* the last session a login (a skynet.call) carried */
  int in_dispatch;       /* a dispatched call is running: skynet.lua's own code may run DISPATCH_GRACE past the budget */
  int stopped;           /* the budget stopped the script during this dispatched call; stop_msg says where */
  char stop_msg[640];
  void *service[4];      /* with a service library: skynet's C structures of this service (SERVICE_BLOCKS) */
} vm_t;

/* agent.c: the target allocator (set once by sla_init), the lock of the process-wide tables (handles, library
 * sources), the calling thread's last error, and running a call under the budget. */
extern realloc_fn agent_target_realloc;
extern free_fn agent_target_free;
extern pthread_mutex_t agent_lock;
extern __thread char agent_last_error[2048];
void agent_call_error(vm_t *v, int errmem, const char *msg, const char *what);
int agent_run_call(vm_t *v, int nargs, const char *what);
const char *agent_what(vm_t *v);

/* agent_alloc.c: the VM's lua_Alloc (ud is its vm_t). */
void *agent_lalloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* agent_sandbox.c: a lua_CFunction (arg 1: the seed) that opens the script's sandbox. */
int agent_open_sandbox(lua_State *L);

/* agent_service_lib.c: `server.service_lib`: skynet's per-service C structures, loading the library, dispatch. */
int agent_service_new(vm_t *v, int i);
void agent_service_free(vm_t *v, int i);
size_t agent_service_live(void);
int agent_open_service_lib(lua_State *L);
int agent_vm_dispatch(vm_t *v, const char *name, int nargs, double a, double b);

#endif
