#define _GNU_SOURCE
#include "CVigilBenchSupport.h"
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>
#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static atomic_int counting;
static atomic_ullong calls;
static atomic_ullong bytes;

static inline void count(size_t n) {
    if (atomic_load_explicit(&counting, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
    }
}

void *malloc(size_t n) { count(n); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { count(k * n); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { count(n); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { count(n); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count(n); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    count(n);
    void *p = __libc_memalign(a, n);
    if (p == NULL && n != 0) return ENOMEM;
    *out = p;
    return 0;
}

int CVigilBench_countAllocations(int on) { atomic_store(&counting, on); return 1; }
uint64_t CVigilBench_allocations(void) { return atomic_load(&calls); }
uint64_t CVigilBench_allocatedBytes(void) { return atomic_load(&bytes); }
uint64_t CVigilBench_heapInUse(void) {
    struct mallinfo2 m = mallinfo2();
    return (uint64_t)m.uordblks + (uint64_t)m.hblkhd;
}
#else
int CVigilBench_countAllocations(int on) { (void)on; return 0; }
uint64_t CVigilBench_allocations(void) { return 0; }
uint64_t CVigilBench_allocatedBytes(void) { return 0; }
uint64_t CVigilBench_heapInUse(void) { return 0; }
#endif

uint64_t CVigilBench_nowNanoseconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t CVigilBench_threadCPUNanoseconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
