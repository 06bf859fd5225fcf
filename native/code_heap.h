/* The code heap (native/code_heap.c): per-VM blocks for a service library's prototypes, off the simulated heap. */
#ifndef SIMLOAD_CODE_HEAP_H
#define SIMLOAD_CODE_HEAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct code_heap code_heap_t;

code_heap_t *ch_new(void);
/* Is p a code-heap block (of any VM)? */
int ch_owns(const void *p);
/* A block of n bytes from this VM's code heap, or NULL (over 64 KiB, or no chunk left: use the target). */
void *ch_alloc(code_heap_t *h, size_t n);
/* Frees a block of n bytes (the size it was allocated or last reallocated with). */
void ch_free(code_heap_t *h, void *p, size_t n);
/* Do blocks of a and b bytes share a size class (a realloc between them keeps the block)? */
int ch_same_class(size_t a, size_t b);
/* After lua_close: gives the VM's chunks back (MADV_DONTNEED) and frees h. */
void ch_release(code_heap_t *h);
/* Bytes in live blocks, all VMs of the process. */
int64_t ch_live_bytes(void);

#endif
