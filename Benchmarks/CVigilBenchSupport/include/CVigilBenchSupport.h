#ifndef CVIGIL_BENCH_SUPPORT_H
#define CVIGIL_BENCH_SUPPORT_H
#include <stdint.h>

/// Benchmark-only helpers (never linked into `vigil`): a malloc-counting shim and cheap clocks.
///
/// The shim replaces malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign in the
/// benchmark executable (glibc only) and forwards to glibc's __libc_* functions. Counting is off
/// until `CVigilBench_countAllocations(1)`; then every allocation call in the process counts.

/// Starts (1) or stops (0) counting allocation calls. Returns 0 where the shim is unavailable.
int CVigilBench_countAllocations(int on);
/// Allocation calls counted so far (malloc, calloc, realloc, aligned variants).
uint64_t CVigilBench_allocations(void);
/// Bytes requested by the counted calls.
uint64_t CVigilBench_allocatedBytes(void);
/// Heap bytes in use now (glibc mallinfo2: arena + mmapped), or 0 where unavailable.
uint64_t CVigilBench_heapInUse(void);
/// CLOCK_MONOTONIC in nanoseconds (vDSO, ~20 ns).
uint64_t CVigilBench_nowNanoseconds(void);
/// CPU time of the calling thread in nanoseconds (CLOCK_THREAD_CPUTIME_ID): on a shared,
/// oversubscribed machine it excludes the time other processes held the core.
uint64_t CVigilBench_threadCPUNanoseconds(void);

#endif
