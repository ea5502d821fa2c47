/*
 * libbench_malloc_count.so: counts every heap allocation of a process
 * (libcurl, OpenSSL, jansson, libc and libdbx alike) for bench/run.sh.
 *
 *   LD_PRELOAD=build/bench/libbench_malloc_count.so bench_clusters_get_static --count=dbx ...
 *
 * malloc, calloc, realloc and the aligned allocators are replaced by
 * wrappers that add one to a counter and call glibc's own implementation
 * (__libc_malloc and friends, exported by glibc for exactly this), so
 * nothing recurses and no dlsym is needed before the first allocation.
 * free is left to glibc: both sides use the same allocator. The benchmark
 * finds bench_heap_allocs() and bench_heap_bytes() with
 * dlsym(RTLD_DEFAULT, ...) and reads them around a batch of calls. The
 * counts are those of valgrind's "total heap usage: N allocs, ... M bytes
 * allocated" (a realloc is one allocation of its new size). glibc only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);

static unsigned long allocs, bytes;

#define COUNT(n) (__atomic_fetch_add(&allocs, 1, __ATOMIC_RELAXED), __atomic_fetch_add(&bytes, (n), __ATOMIC_RELAXED))

#define EXPORT __attribute__((visibility("default")))

EXPORT unsigned long bench_heap_allocs(void);
EXPORT unsigned long bench_heap_bytes(void);
EXPORT void *malloc(size_t n);
EXPORT void *calloc(size_t n, size_t size);
EXPORT void *realloc(void *p, size_t n);
EXPORT void *memalign(size_t align, size_t n);
EXPORT void *aligned_alloc(size_t align, size_t n);
EXPORT int posix_memalign(void **out, size_t align, size_t n);

unsigned long bench_heap_allocs(void) { return __atomic_load_n(&allocs, __ATOMIC_RELAXED); }
unsigned long bench_heap_bytes(void) { return __atomic_load_n(&bytes, __ATOMIC_RELAXED); }

void *malloc(size_t n)
{
    COUNT(n);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    COUNT(n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    COUNT(n);
    return __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n)
{
    COUNT(n);
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    COUNT(n);
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    COUNT(n);
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
