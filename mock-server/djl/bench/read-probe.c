/*
 * The machine's read bandwidth without the JVM: THREADS threads each scan their part of a buffer of
 * BYTES with the widest vector loads the compiler is given (-march=native), four sums in flight,
 * best of ROUNDS after a warm-up round. Two ways, and the better one printed as the bound:
 *
 *   plain     the loads alone, as the Java probe (MachineLimits) makes them;
 *   prefetch  the same loads with a software prefetch 4 KB ahead, on a buffer advised to use
 *             2 MB pages (on a 2-core machine, faster than plain in some minutes, slower in
 *             others: the better of the two is kept).
 *
 * Java has neither a prefetch nor a say in its pages; a share of this is a share of what the
 * hardware gives, not of what Java gets from it.
 *
 * Usage: read-probe BYTES THREADS ROUNDS
 * Prints one line: "threads=T plain=G prefetch=G best=G" (GB/s, 1e9 bytes a second).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512i lane;
#define ZERO() _mm512_setzero_si512()
#define LOAD(p) _mm512_load_si512((const void *)(p))
#define ADD(a, b) _mm512_add_epi64(a, b)
#define STEP 64
#elif defined(__AVX2__)
#include <immintrin.h>
typedef __m256i lane;
#define ZERO() _mm256_setzero_si256()
#define LOAD(p) _mm256_load_si256((const __m256i *)(p))
#define ADD(a, b) _mm256_add_epi64(a, b)
#define STEP 32
#else
typedef uint64_t lane;
#define ZERO() 0
#define LOAD(p) (*(const uint64_t *)(p))
#define ADD(a, b) ((a) + (b))
#define STEP 8
#endif

#define AHEAD 4096

struct scan {
  const char *from;
  size_t bytes;
  int prefetch;
  lane sum;
};

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *scan(void *argument) {
  struct scan *s = argument;
  const char *p = s->from;
  lane a = ZERO(), b = ZERO(), c = ZERO(), d = ZERO();
  if (s->prefetch) {
    for (size_t i = 0; i + 4 * STEP <= s->bytes; i += 4 * STEP) {
      for (size_t line = 0; line < 4 * STEP; line += 64) {
        __builtin_prefetch(p + i + AHEAD + line, 0, 3);
      }
      a = ADD(a, LOAD(p + i));
      b = ADD(b, LOAD(p + i + STEP));
      c = ADD(c, LOAD(p + i + 2 * STEP));
      d = ADD(d, LOAD(p + i + 3 * STEP));
    }
  } else {
    for (size_t i = 0; i + 4 * STEP <= s->bytes; i += 4 * STEP) {
      a = ADD(a, LOAD(p + i));
      b = ADD(b, LOAD(p + i + STEP));
      c = ADD(c, LOAD(p + i + 2 * STEP));
      d = ADD(d, LOAD(p + i + 3 * STEP));
    }
  }
  s->sum = ADD(ADD(a, b), ADD(c, d));
  return NULL;
}

/* GB/s of the best of ROUNDS scans (after one warm-up) of BYTES at BUFFER by THREADS threads. */
static double best(const char *buffer, size_t bytes, int threads, int rounds, int prefetch) {
  size_t share = bytes / threads / (4 * STEP) * (4 * STEP);
  double fastest = 0;
  volatile uint64_t sink = 0;
  for (int round = 0; round <= rounds; round++) {
    pthread_t ids[threads];
    struct scan scans[threads];
    double start = seconds();
    for (int t = 0; t < threads; t++) {
      scans[t] = (struct scan){buffer + t * share, share, prefetch, ZERO()};
      pthread_create(&ids[t], NULL, scan, &scans[t]);
    }
    for (int t = 0; t < threads; t++) {
      pthread_join(ids[t], NULL);
      uint64_t first;
      memcpy(&first, &scans[t].sum, sizeof first);
      sink += first;
    }
    double rate = share * threads / (seconds() - start) / 1e9;
    if (round > 0 && rate > fastest) {
      fastest = rate;
    }
  }
  return fastest;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: read-probe BYTES THREADS ROUNDS\n");
    return 2;
  }
  size_t bytes = strtoull(argv[1], NULL, 10);
  int threads = atoi(argv[2]);
  int rounds = atoi(argv[3]);
  if (bytes < (1u << 20) || threads < 1 || threads > 1024 || rounds < 1) {
    fprintf(stderr, "read-probe: BYTES of at least 1 MiB, 1-1024 THREADS, ROUNDS of at least 1\n");
    return 2;
  }
  size_t page = 2u << 20;
  size_t mapped = (bytes + page - 1) / page * page;
  char *plain = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (plain == MAP_FAILED) {
    perror("read-probe: mmap");
    return 1;
  }
  memset(plain, 1, mapped); /* every page written, so the reads meet memory, not page faults */
  double without = best(plain, bytes, threads, rounds, 0);
  munmap(plain, mapped);
  /* 2 MB-aligned, so that whole huge pages can back it when the kernel allows them. */
  char *area = mmap(NULL, mapped + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) {
    perror("read-probe: mmap");
    return 1;
  }
  char *aligned = (char *)(((uintptr_t)area + page - 1) / page * page);
  madvise(aligned, mapped, MADV_HUGEPAGE); /* advice only: without huge pages, 4 KB pages */
  memset(aligned, 1, mapped);
  double with = best(aligned, bytes, threads, rounds, 1);
  munmap(area, mapped + page);
  printf("threads=%d plain=%.2f prefetch=%.2f best=%.2f\n", threads, without, with,
         with > without ? with : without);
  return 0;
}
